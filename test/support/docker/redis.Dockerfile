# A stand-in for the official redis image where no registry is reachable: Debian's
# redis-server (7.0) on the local Debian base, laid out like the official image for what
# the compose deployment uses (redis-server and redis-cli on the PATH, the redis user with
# uid/gid 999, /data its working directory, running as that user). test/support/docker
# builds it only when the compose file's image is absent and cannot be pulled.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
# The user first, with the official image's ids (the package's postinst keeps an existing
# system user); no service is started inside the build (policy-rc.d).
RUN groupadd --system --gid 999 redis \
 && useradd --system --uid 999 --gid redis --home-dir /var/lib/redis --shell /usr/sbin/nologin redis \
 && printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d \
 && apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && mkdir -p /data && chown redis:redis /data && chmod 0700 /data \
 && [ "$(id -u redis):$(id -g redis)" = "999:999" ] \
 && redis-server --version
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server"]
