# A stand-in for the freeradius/freeradius-server image where no registry is reachable:
# Debian's FreeRADIUS 3.2 on the local Debian base, laid out like the real image
# (/etc/raddb, the freeradius binary, radclient, the freerad user). test/support/docker
# builds it only when the compose file's image is absent and cannot be pulled.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY freeradius-sign-replies.sh /tmp/
RUN apt-get update \
 && apt-get install -y --no-install-recommends freeradius freeradius-utils \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /etc/freeradius/3.0 /etc/raddb \
 && sh /tmp/freeradius-sign-replies.sh && rm /tmp/freeradius-sign-replies.sh \
 && freeradius -C
EXPOSE 1812/udp 1813/udp
ENTRYPOINT ["freeradius"]
CMD ["-f", "-l", "stdout"]
