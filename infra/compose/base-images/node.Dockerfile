# Stand-in for node:20.x-bookworm-slim, for infra/compose/prove.sh (no image can be pulled here):
# Debian 12 minbase plus Node.js 20, which Debian 12 does not package (it has 18), taken from the
# files of this host's `nodejs` package (nodesource; npm as installed now) that prove.sh puts
# in nodejs.tar.
# Like the official image: node, npm and corepack on the PATH, and a `node` user with uid 1000.
# Unlike it: it trusts the CA certificates this host added (/usr/local/share/ca-certificates),
# for Node too, so that npm and pnpm reach the registry through this machine's TLS-inspecting
# egress during the build.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
ADD nodejs.tar /
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && update-ca-certificates \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
