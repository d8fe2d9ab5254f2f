# Stand-in for the official nats image, for infra/compose/prove.sh: Debian 12's nats-server
# package (2.9.10), and wget for the compose healthcheck.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nats-server wget \
 && rm -rf /var/lib/apt/lists/* \
 && nats-server --version
CMD ["nats-server", "-js"]
