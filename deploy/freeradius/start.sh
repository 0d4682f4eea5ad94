#!/bin/sh
# FreeRADIUS's entrypoint in the airlock compose deployment (mounted read-only; the compose
# file runs it instead of the image's own). The container starts as root with only CHOWN,
# SETUID and SETGID. This script
#   1. copies the service's TLS key and certificates, which the setup job wrote root-only
#      into the freeradius volume (AIRLOCK_RADIUS_SECRETS, /etc/airlock/secrets), into a
#      tmpfs for the user FreeRADIUS runs as (mods-enabled/eap reads them there);
#   2. writes the EAP test user from the deployment's one eap_test_password secret, as an
#      include of mods-config/files/authorize (the simulated EAP stations read the same file);
#   3. reads the RADIUS shared secret from its file into AIRLOCK_RADIUS_SECRET, which
#      clients.conf expands ($ENV{...}): it never appears in the compose file or the
#      container's environment;
#   4. runs freeradius as that user, with no capabilities left.
set -eu
umask 077
src=${AIRLOCK_RADIUS_SECRETS:-/etc/airlock/secrets}
run=/run/airlock-radius
user=${AIRLOCK_RADIUS_USER:-freerad}

fail() { echo "freeradius-start: $*" >&2; exit 1; }
id "$user" >/dev/null 2>&1 || fail "this image has no user $user (set AIRLOCK_RADIUS_USER to the user radiusd.conf names)"
for f in ca.pem radius-server.pem radius-server.key radius_secret eap_test_password; do
  [ -r "$src/$f" ] || fail "$src/$f is missing: did the setup service run? (docker compose logs setup)"
done

mkdir -p "$run"
cp "$src/ca.pem" "$src/radius-server.pem" "$src/radius-server.key" "$run/"

# The users-file entry of the test user; the password is quoted as the users file reads it.
password=$(head -n 1 "$src/eap_test_password" | tr -d '\r\n' | sed 's/\\/\\\\/g; s/"/\\"/g')
{
  printf '"%s"\tCleartext-Password := "%s"\n' "${AIRLOCK_EAP_TEST_USER:-guest}" "$password"
  printf '\tTunnel-Type = VLAN,\n\tTunnel-Medium-Type = IEEE-802,\n\tTunnel-Private-Group-Id = "%s"\n' "${AIRLOCK_EAP_TEST_VLAN:-20}"
} > "$run/test-user"
chown -R "$user:$user" "$run"
# The accounting `detail` files: a tmpfs on a read-only root (the compose file mounts it).
if [ -d /var/log/freeradius ]; then chown "$user:$user" /var/log/freeradius; fi

AIRLOCK_RADIUS_SECRET=$(head -n 1 "$src/radius_secret" | tr -d '\r\n')
export AIRLOCK_RADIUS_SECRET
exec setpriv --reuid="$user" --regid="$user" --init-groups -- freeradius "$@"
