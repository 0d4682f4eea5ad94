#!/bin/sh
# Redis's entrypoint in the airlock compose deployment (mounted read-only; the compose file
# runs it instead of the image's own). The container runs as the redis user (uid 999) from
# the start, with no capabilities. This script
#   1. reads the password from redis_password, which the setup job wrote into this service's
#      own volume (AIRLOCK_REDIS_SECRETS, /etc/airlock/secrets), owned by that user, 0400;
#   2. hands redis-server its configuration on standard input (`redis-server -`), the
#      password included: it is never on a command line, in the environment or in a file
#      other than the secret's own;
#   3. keeps nothing on disk: the store is the authenticators' shared memory (leases, sealed
#      keys), and they write their state again when Redis comes back empty. (Redis's start-up
#      warning about vm.overcommit_memory concerns background saves, which it never makes here.)
# Arguments are passed on to redis-server (the compose file's `command`: memory bounds).
set -eu
src=${AIRLOCK_REDIS_SECRETS:-/etc/airlock/secrets}

fail() { echo "redis-start: $*" >&2; exit 1; }
[ -r "$src/redis_password" ] || fail "$src/redis_password is missing or unreadable: did the setup service run? (docker compose logs setup)"

# Quoted as redis.conf reads a double-quoted string: backslashes and quotes escaped.
password=$(head -n 1 "$src/redis_password" | tr -d '\r\n' | sed 's/\\/\\\\/g; s/"/\\"/g')
[ -n "$password" ] || fail "$src/redis_password is empty"

exec redis-server - "$@" <<CONF
bind 0.0.0.0
port 6379
protected-mode yes
requirepass "$password"
save ""
appendonly no
dir /data
daemonize no
logfile ""
CONF
