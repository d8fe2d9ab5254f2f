#!/usr/bin/env bash
# Proves, on this machine, that docker-compose.yml brings the whole stack up and that it works:
# `pnpm test:compose` (as root, from a checkout with `pnpm install` done).
#
# Nothing can be pulled from a registry here, so the base images are built from Debian packages
# and cached by tag: Debian 12 minbase (debootstrap), Node.js 20 (the files of this host's
# `nodejs` package: Debian 12 has only 18), NATS (Debian's nats-server 2.9.10; the compose file
# itself pins nats 2.10.x for real use) and PostgreSQL 15 (Debian's postgresql-15). The project's
# image is built with infra/Dockerfile on the Node one (build arg NODE_IMAGE). Then Debian's
# docker-compose 1.29 runs docker-compose.yml with infra/compose/host-network.yml (host
# networking, every port moved: the standard ones + 10000, 15432, 14222, 18080..., or another
# offset when one of those is taken) and infra/compose/local-images.yml, and
# infra/compose/seed-flow.ts runs the seed's flow against the gateway: register, join, WebSocket,
# post, the avatar live and in history. Finally `docker-compose down -v`.
#
# The machine's own PostgreSQL (5432) and NATS (4222) are never touched and their ports never
# bound. dockerd is started if it is not running (bridge, iptables and IP forwarding off: the
# proof uses host networking only) and stopped again at the end. Every wait has a timeout.
# Exit 0 and PASS when every check held; non-zero and FAIL otherwise.
#
# Environment: PROOF_REBUILD_BASE=1 rebuilds the cached base images; PROOF_KEEP=1 leaves the
# stack running (and dockerd) for a look; PROOF_PORT_OFFSET=N uses the standard ports + N;
# DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

DOCKER=/usr/bin/docker # Debian's client, the same version as its dockerd
PROJECT=chatproof
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
export COMPOSE_PROJECT_NAME=$PROJECT
export DOCKER_BUILDKIT=1
export AUTH_MODE=token CHAT_NAMESPACE=chat LOG_LEVEL=info POSTGRES_PASSWORD=proof
AUTH_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AUTH_SECRET
# Each service connects to NATS as its own user (infra/nats/auth.conf, which the proof's NATS
# loads): one password each, letters and digits starting with a letter (nats-server parses them).
for user in ROOM PROFILE PROJECTION GATEWAY ADMIN; do
  export "NATS_${user}_PASSWORD=p$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
done

started_at=$(date +%s)
phase_at=$started_at
timings=()
phase() {
  local now
  now=$(date +%s)
  [[ -n ${current_phase:-} ]] && timings+=("$(printf '%-44s %4d s' "$current_phase" $((now - phase_at)))")
  current_phase=$1
  phase_at=$now
  printf '\n==== %s ====\n' "$1"
}

result=FAIL
dockerd_pid=
compose_up=0
workdir=$(mktemp -d /var/tmp/chat-proof.XXXXXX)

COMPOSE=(docker-compose -p "$PROJECT" -f docker-compose.yml -f infra/compose/host-network.yml -f infra/compose/local-images.yml)

finish() {
  local code=$?
  set +e
  if [[ $code -ne 0 && $compose_up -eq 1 ]]; then
    echo
    echo "---- last log lines of the stack ----"
    timeout 60 "${COMPOSE[@]}" logs --no-color --tail 40 2>&1 | tail -n 240
  fi
  if [[ ${PROOF_KEEP:-0} == 1 ]]; then
    echo "PROOF_KEEP=1: the stack and dockerd are left running; to take the stack down:"
    echo "  ${COMPOSE[*]} down -v"
  else
    phase "tear down"
    if [[ $compose_up -eq 1 ]]; then timeout 180 "${COMPOSE[@]}" down -v --remove-orphans --timeout 20; fi
    if [[ -n $dockerd_pid ]]; then
      echo "stopping the dockerd this proof started (pid $dockerd_pid)"
      kill -TERM "$dockerd_pid" 2>/dev/null
      for _ in $(seq 1 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$dockerd_pid" 2>/dev/null && echo "WARNING: dockerd (pid $dockerd_pid) did not stop within 30 s; left running"
    fi
  fi
  [[ ${PROOF_KEEP:-0} == 1 ]] || rm -rf "$workdir"
  phase "done"
  echo
  echo "---- compose proof: what ran ----"
  printf '  %s\n' "${ran[@]:-nothing}"
  echo "---- durations ----"
  printf '  %s\n' "${timings[@]}"
  printf '  %-44s %4d s\n' "total" $(($(date +%s) - started_at))
  [[ $code -ne 0 ]] && result=FAIL
  echo
  echo "compose proof: $result"
  exit "$code"
}
trap finish EXIT
trap 'exit 130' INT TERM
ran=()

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- tools ---------------------------------------------------------------------------------
phase "tools (Debian's docker.io, docker-compose 1.29, debootstrap)"
[[ $(id -u) -eq 0 ]] || fail "run as root (it starts dockerd and runs debootstrap)"
missing=()
[[ -x /usr/sbin/dockerd && -x $DOCKER ]] || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  timeout 300 apt-get update -qq || echo "WARNING: apt-get update failed; trying the install with the lists there are"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${missing[@]}" >/dev/null
fi
docker-compose version --short | grep -q '^1\.29\.' || fail "expected Debian's docker-compose 1.29, found $(docker-compose version --short)"
[[ -x node_modules/.bin/tsx ]] || timeout 600 pnpm install --frozen-lockfile
echo "docker $($DOCKER version --format '{{.Client.Version}}' 2>/dev/null || true), docker-compose $(docker-compose version --short)"

# The stack's ports: the standard ones (5432 4222 8222 8080 9080 8081 8082 8083) plus an offset,
# the first of these whose ports are all free (others may run servers on this machine too).
port_names=(POSTGRES NATS NATS_HTTP GATEWAY GATEWAY_OPS ROOM PROFILE PROJECTION)
standard_ports=(5432 4222 8222 8080 9080 8081 8082 8083)
chosen=
for offset in ${PROOF_PORT_OFFSET:-10000 20000 11000 21000 12000 22000}; do
  busy=
  for port in "${standard_ports[@]}"; do listening $((port + offset)) && busy+=" $((port + offset))"; done
  if [[ -z $busy ]]; then
    chosen=$offset
    break
  fi
  echo "ports standard+$offset: in use:$busy"
done
[[ -n $chosen ]] || fail "no free set of ports found (set PROOF_PORT_OFFSET to an offset whose ports are free)"
for i in "${!port_names[@]}"; do export "PROOF_${port_names[$i]}_PORT=$((standard_ports[i] + chosen))"; done
export GATEWAY_PORT=$PROOF_GATEWAY_PORT
base_url=http://127.0.0.1:$PROOF_GATEWAY_PORT
ports_used="postgres $PROOF_POSTGRES_PORT, nats $PROOF_NATS_PORT (monitoring $PROOF_NATS_HTTP_PORT), gateway $PROOF_GATEWAY_PORT (ops $PROOF_GATEWAY_OPS_PORT), room $PROOF_ROOM_PORT, profile $PROOF_PROFILE_PORT, projection $PROOF_PROJECTION_PORT"
echo "ports (standard + $chosen, all on 127.0.0.1): $ports_used"
listening 5432 && echo "this machine's PostgreSQL on 5432: left alone"
listening 4222 && echo "this machine's NATS on 4222: left alone"

# ---- dockerd -------------------------------------------------------------------------------
phase "dockerd"
if timeout 20 $DOCKER info >/dev/null 2>&1; then
  echo "dockerd is running: using it, and leaving it running"
else
  echo "starting dockerd (no bridge, no iptables, no IP forwarding: the proof uses host networking)"
  setsid /usr/sbin/dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    >"/var/log/chat-proof-dockerd.log" 2>&1 </dev/null &
  dockerd_pid=$!
  for _ in $(seq 1 120); do
    timeout 5 $DOCKER info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd exited; see /var/log/chat-proof-dockerd.log"
    sleep 0.5
  done
  timeout 5 $DOCKER info >/dev/null 2>&1 || fail "dockerd did not answer within 60 s; see /var/log/chat-proof-dockerd.log"
  echo "dockerd $($DOCKER version --format '{{.Server.Version}}') started (pid $dockerd_pid)"
fi

# ---- base images, built from Debian packages and cached by tag -----------------------------
# An image is reused when its label chat.proof.inputs matches the hash of what it is built from.
inputs_of() { "$DOCKER" image inspect -f '{{index .Config.Labels "chat.proof.inputs"}}' "$1" 2>/dev/null || true; }
cached() { [[ ${PROOF_REBUILD_BASE:-0} != 1 && $(inputs_of "$1") == "$2" ]]; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

phase "base image: Debian 12 minbase (debootstrap)"
DEBIAN_IMAGE=chat-proof/debian:bookworm-minbase
debian_inputs=$(printf 'debootstrap --variant=minbase bookworm %s, policy-rc.d, v1' "$MIRROR" | hash_of -)
if cached "$DEBIAN_IMAGE" "$debian_inputs"; then
  echo "cached: $DEBIAN_IMAGE"
else
  echo "debootstrap --variant=minbase bookworm from $MIRROR (a few minutes)"
  timeout 1200 debootstrap --variant=minbase bookworm "$workdir/rootfs" "$MIRROR" >"$workdir/debootstrap.log" 2>&1 ||
    {
      tail -20 "$workdir/debootstrap.log"
      fail "debootstrap failed"
    }
  # As in Debian's own images: package installs start no services, and no apt caches are kept.
  printf '#!/bin/sh\nexit 101\n' >"$workdir/rootfs/usr/sbin/policy-rc.d"
  chmod +x "$workdir/rootfs/usr/sbin/policy-rc.d"
  rm -rf "$workdir/rootfs/var/cache/apt/archives/"*.deb "$workdir/rootfs/var/lib/apt/lists/"*
  tar -C "$workdir/rootfs" -c . | timeout 300 $DOCKER import \
    -c "LABEL chat.proof.inputs=$debian_inputs" \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$workdir/rootfs"
  echo "built: $DEBIAN_IMAGE"
fi
debian_id=$($DOCKER image inspect -f '{{.Id}}' "$DEBIAN_IMAGE")

# build_base TAG INPUTS DOCKERFILE CONTEXT: docker build FROM the Debian image, labelled with INPUTS.
build_base() {
  timeout 900 $DOCKER build --network host --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --label "chat.proof.inputs=$2" \
    -f "$3" -t "$1" "$4" || fail "building $1 failed"
  echo "built: $1"
}

phase "base image: Node.js 20 from this host's nodejs package"
[[ $(node --version) == v20.* ]] || fail "this host's node is $(node --version), not 20"
nodejs_package=$(dpkg-query -W -f '${Package} ${Version}' nodejs 2>/dev/null) || fail "the nodejs package is not installed on this host"
NODE_IMAGE=chat-proof/node:$(node --version | tr -d v)-bookworm
mkdir -p "$workdir/node"
# The package's files (dpkg -L nodejs) without its C headers, docs and man pages; npm as it is
# installed now (hosts upgrade it in place with npm install -g npm, so dpkg's list can be stale).
{
  dpkg -L nodejs | grep -Ev '^/(\.|usr/include|usr/share/doc|usr/share/man|usr/lib/node_modules/npm)(/|$)'
  find /usr/lib/node_modules/npm
} | sed 's|^/||' >"$workdir/node/files"
# And the CA certificates this host trusts beyond Debian's (a TLS-inspecting egress, say).
mkdir -p "$workdir/node/ca-certificates"
find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' -exec cp {} "$workdir/node/ca-certificates/" \;
node_inputs=$( (echo "$debian_id $nodejs_package npm $(npm --version)" && cat infra/compose/base-images/node.Dockerfile "$workdir/node/files" \
  "$workdir/node/ca-certificates/"*) | hash_of -)
if cached "$NODE_IMAGE" "$node_inputs"; then
  echo "cached: $NODE_IMAGE"
else
  cp infra/compose/base-images/node.Dockerfile "$workdir/node/Dockerfile"
  tar -C / --no-recursion -cf "$workdir/node/nodejs.tar" -T "$workdir/node/files" || fail "could not pack the nodejs files"
  build_base "$NODE_IMAGE" "$node_inputs" "$workdir/node/Dockerfile" "$workdir/node"
fi

phase "base image: NATS from Debian's nats-server"
NATS_IMAGE=chat-proof/nats:debian-bookworm
nats_inputs=$( (echo "$debian_id" && cat infra/compose/base-images/nats.Dockerfile) | hash_of -)
if cached "$NATS_IMAGE" "$nats_inputs"; then
  echo "cached: $NATS_IMAGE"
else
  build_base "$NATS_IMAGE" "$nats_inputs" infra/compose/base-images/nats.Dockerfile infra/compose/base-images
fi

phase "base image: PostgreSQL 15 from Debian's postgresql-15"
POSTGRES_IMAGE=chat-proof/postgres:15-debian-bookworm
postgres_inputs=$( (echo "$debian_id" && cat infra/compose/base-images/postgres.Dockerfile infra/compose/base-images/postgres-entrypoint.sh) | hash_of -)
if cached "$POSTGRES_IMAGE" "$postgres_inputs"; then
  echo "cached: $POSTGRES_IMAGE"
else
  build_base "$POSTGRES_IMAGE" "$postgres_inputs" infra/compose/base-images/postgres.Dockerfile infra/compose/base-images
fi
ran+=("base images (Debian 12 packages, cached by tag): $DEBIAN_IMAGE, $NODE_IMAGE ($nodejs_package), $NATS_IMAGE, $POSTGRES_IMAGE")

# ---- the project's image ---------------------------------------------------------------------
phase "project image: infra/Dockerfile with NODE_IMAGE=$NODE_IMAGE"
APP_IMAGE=chat-platform:proof
timeout 1500 $DOCKER build --network host --build-arg "NODE_IMAGE=$NODE_IMAGE" -f infra/Dockerfile -t "$APP_IMAGE" . ||
  fail "building $APP_IMAGE failed"
# What is in it: compiled JavaScript run by node as an unprivileged user, with a healthcheck.
image_user=$($DOCKER image inspect -f '{{.Config.User}}' "$APP_IMAGE")
[[ $image_user == node ]] || fail "$APP_IMAGE runs as '$image_user', not node"
[[ -n $($DOCKER image inspect -f '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{end}}' "$APP_IMAGE") ]] || fail "$APP_IMAGE has no HEALTHCHECK"
tools='tsx typescript vite vitest esbuild @biomejs/biome testcontainers playwright-core'
dev_tools=$(timeout 120 $DOCKER run --rm --network none --entrypoint /bin/sh "$APP_IMAGE" -c "
  for name in $tools; do find / -xdev -path \"*/node_modules/\$name/package.json\" 2>/dev/null; done
  find /app -type f \\( -name '*.ts' -o -name '*.mts' -o -name '*.cts' \\) | head -5")
[[ -z $dev_tools ]] || fail "$APP_IMAGE holds build or test tools or TypeScript:"$'\n'"$dev_tools"
app_size=$($DOCKER image inspect -f '{{.Size}}' "$APP_IMAGE")
echo "$APP_IMAGE: user node, HEALTHCHECK set, none of $tools, no .ts file, $((app_size / 1000000)) MB"
ran+=("project image: $APP_IMAGE from infra/Dockerfile (NODE_IMAGE=$NODE_IMAGE), $((app_size / 1000000)) MB, user node, compiled JavaScript only")

# ---- the stack -------------------------------------------------------------------------------
phase "docker-compose up (host network; $ports_used)"
export PROOF_APP_IMAGE=$APP_IMAGE PROOF_NATS_IMAGE=$NATS_IMAGE PROOF_POSTGRES_IMAGE=$POSTGRES_IMAGE
"${COMPOSE[@]}" config >"$workdir/compose.yml" || fail "docker-compose rejects the compose files"
# The one change to what docker-compose resolved from the three files: no published ports on the
# host network (docker-compose 1.29 refuses them there, and an override file cannot remove the
# gateway's `ports` entry). Python's yaml module comes with docker-compose.
python3 - "$workdir/compose.yml" <<'EOF'
import sys, yaml
path = sys.argv[1]
with open(path) as f:
    doc = yaml.safe_load(f)
for name, service in doc["services"].items():
    assert service.get("network_mode") == "host", name + " is not on the host network"
    service.pop("ports", None)
with open(path, "w") as f:
    yaml.safe_dump(doc, f, sort_keys=False)
EOF
COMPOSE=(docker-compose -p "$PROJECT" --project-directory "$repo" -f "$workdir/compose.yml")
compose_up=1
# 1.29 waits here for every depends_on condition (service_healthy), bounded by timeout.
timeout 480 "${COMPOSE[@]}" up -d --no-build || fail "docker-compose up failed or took over 480 s"
echo "waiting for every container to be healthy"
deadline=$(($(date +%s) + 300))
while :; do
  unhealthy=()
  for service in postgres nats room profile projection gateway; do
    id=$("${COMPOSE[@]}" ps -q "$service")
    status=$($DOCKER inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}' "$id" 2>/dev/null || echo missing)
    [[ $status == healthy ]] || unhealthy+=("$service=$status")
  done
  ((${#unhealthy[@]} == 0)) && break
  (($(date +%s) > deadline)) && fail "not healthy within 300 s: ${unhealthy[*]}"
  sleep 2
done
"${COMPOSE[@]}" ps

nats_version=$($DOCKER exec "$("${COMPOSE[@]}" ps -q nats)" nats-server --version)
postgres_version=$($DOCKER exec "$("${COMPOSE[@]}" ps -q postgres)" /usr/lib/postgresql/15/bin/postgres --version)
app_node=$($DOCKER exec "$("${COMPOSE[@]}" ps -q gateway)" node --version)
echo "NATS: $nats_version (Debian's package; docker-compose.yml pins nats:2.10.29-alpine for real use)"
echo "PostgreSQL: $postgres_version; services on Node $app_node"
[[ $nats_version == *2.9.10* ]] || fail "expected Debian's nats-server 2.9.10, got: $nats_version"
ran+=("docker-compose $(docker-compose version --short) -p $PROJECT: docker-compose.yml + infra/compose/host-network.yml + infra/compose/local-images.yml; host network, $ports_used")
ran+=("NATS $nats_version (Debian 12's nats-server 2.9.10, not the 2.10.x that docker-compose.yml pins)")
ran+=("$postgres_version; services on Node $app_node; all six containers healthy")

# Each service is connected as its own NATS user; a client without credentials is refused.
nats_users=$(node -e 'fetch(process.argv[1]).then((r) => r.json()).then((j) => console.log([...new Set(j.connections.map((c) => c.authorized_user))].sort().join(" ")))' "http://127.0.0.1:$PROOF_NATS_HTTP_PORT/connz?auth=true&limit=1024")
for user in room profile projection gateway; do [[ " $nats_users " == *" $user "* ]] || fail "no NATS connection as user $user (connected: $nats_users)"; done
refused=$(exec 3<>"/dev/tcp/127.0.0.1/$PROOF_NATS_PORT" && printf 'CONNECT {"verbose":false}\r\nPING\r\n' >&3 && timeout 5 head -c 400 <&3 | tr -d '\r' | grep -o "Authorization Violation" || true)
[[ -n $refused ]] || fail "NATS accepted a client without credentials"
ran+=("NATS users (infra/nats/auth.conf): services connected as $nats_users; a client without credentials refused")

# ---- the seed's flow -------------------------------------------------------------------------
phase "seed flow against $base_url"
timeout 180 node_modules/.bin/tsx infra/compose/seed-flow.ts "$base_url" || fail "the seed flow failed"
ran+=("seed flow (infra/compose/seed-flow.ts): register, join with the seed body, WebSocket with token, post, avatar live and in history, avatar image, web app")

result=PASS
