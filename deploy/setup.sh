#!/bin/sh
# The one-shot `setup` service of docker-compose.yml. It runs before everything else, as
# root with only CHOWN, DAC_OVERRIDE and FOWNER, and gives each service its own secrets:
#
#   /var/lib/airlock/ca   the deployment's PKI, CA keys included (`airlock pki init`). Only
#                         this job mounts it: no running service ever sees a CA key.
#   /secrets              the operator's directory (AIRLOCK_SECRETS_DIR, ./secrets): the
#                         shared secrets, one per file. A missing one is generated there.
#                         The operator's Admin API credentials are written to operator/.
#   /out/NAME             one volume per service, holding exactly what NAME needs, owned by
#                         the user NAME runs as, keys 0400:
#     freeradius          its EAP server certificate, the CA, radius_secret, eap_test_password
#                         (root-owned: its entrypoint hands them to the freerad user)
#     authenticator       its gRPC/Admin certificate, the CAs it checks peers with,
#                         radius_secret, psk_passphrase, redis_password, redis_kek and
#                         redis_kek_previous (empty unless a KEK rotation is under way)
#     redis               redis_password (owned by the redis user, uid 999)
#     agent-ID            agent ID's client certificate and the CA; plus the secrets that
#                         AIRLOCK_SETUP_EXTRA gives it (the simulated stations' passphrase or
#                         EAP password: "agent-ap-1=psk_passphrase agent-ap-2=eap_test_password");
#                         owned by the node user, or by whom AIRLOCK_SETUP_OWNERS says
#                         ("agent-ap-3=0:0": a real AP's agent runs as root, see the compose file)
#
# Environment: AIRLOCK_SERVER_NAME (the name agents dial, default authenticator),
# AIRLOCK_HOST_UID / AIRLOCK_HOST_GID (owner of what is written into /secrets, default 0),
# AIRLOCK_SETUP_EXTRA, AIRLOCK_SETUP_OWNERS. Run again at any time: certificates that still
# fit are kept.
set -eu
umask 077

CA=/var/lib/airlock/ca
SECRETS=/secrets
OUT=/out
NODE_UID=1000
HOST_UID=${AIRLOCK_HOST_UID:-0}
HOST_GID=${AIRLOCK_HOST_GID:-0}

fail() { echo "setup: $*" >&2; exit 1; }

[ -d "$CA" ] || fail "$CA is not mounted (the ca volume)"
[ -d "$SECRETS" ] || fail "$SECRETS is not mounted (AIRLOCK_SECRETS_DIR)"

# --- shared secrets: the operator's, or generated once -------------------------------------
# secret NAME MIN MAX: NAME's value from $SECRETS/NAME, which must hold MIN..MAX characters
# (one trailing newline is not part of it); a missing or empty file gets a random value.
secret() {
  f="$SECRETS/$1"
  if [ ! -s "$f" ]; then
    # 24 characters from [A-Za-z0-9]: about 143 bits.
    value=$(head -c 256 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 24)
    printf '%s\n' "$value" > "$f.tmp"
    chown "$HOST_UID:$HOST_GID" "$f.tmp"
    mv -f "$f.tmp" "$f"
    echo "setup: generated $1 in AIRLOCK_SECRETS_DIR"
  fi
  n=$(head -n 1 "$f" | tr -d '\r\n' | wc -c)
  [ "$n" -ge "$2" ] && [ "$n" -le "$3" ] || fail "$1 holds $n characters; expected $2..$3 (AIRLOCK_SECRETS_DIR/$1)"
  if [ "$(wc -l < "$f")" -gt 1 ]; then fail "$1 has more than one line (AIRLOCK_SECRETS_DIR/$1)"; fi
}
secret radius_secret 16 128
# IEEE 802.11 §J.4.1: 8..63 characters (a 64-hex-digit raw PSK is also accepted by the authenticator).
secret psk_passphrase 8 64
secret eap_test_password 8 128
# Redis's AUTH password: the redis service and the authenticator.
secret redis_password 16 128

# The key-encryption key that seals every key the authenticator writes to Redis: 64 hex
# digits (32 octets), generated once; the authenticator alone gets it, Redis never does.
# redis_kek_previous, when present, is the KEK before a rotation (docs/deployment.md):
# values sealed with it still open until they are sealed again with redis_kek.
kek() {
  f="$SECRETS/$1"
  if [ "$1" = redis_kek ] && [ ! -s "$f" ]; then
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$f.tmp"
    echo >> "$f.tmp"
    chown "$HOST_UID:$HOST_GID" "$f.tmp"
    mv -f "$f.tmp" "$f"
    echo "setup: generated $1 in AIRLOCK_SECRETS_DIR"
  fi
  [ -s "$f" ] || return 0
  if [ "$(wc -l < "$f")" -gt 1 ]; then fail "$1 has more than one line (AIRLOCK_SECRETS_DIR/$1)"; fi
  value=$(head -n 1 "$f" | tr -d '\r\n')
  case "$value" in *[!0-9A-Fa-f]*) fail "$1 holds characters other than hex digits (AIRLOCK_SECRETS_DIR/$1; make one with: openssl rand -hex 32)" ;; esac
  [ "${#value}" -eq 64 ] || fail "$1 holds ${#value} hex digits; expected 64 (AIRLOCK_SECRETS_DIR/$1; make one with: openssl rand -hex 32)"
}
kek redis_kek
kek redis_kek_previous
# The authenticator always gets a redis_kek_previous file (AIRLOCK__REDIS__KEK_PREVIOUS_FILE
# names it): the operator's, or an empty one (no rotation under way).
KEK_PREVIOUS=$SECRETS/redis_kek_previous
if [ ! -s "$KEK_PREVIOUS" ]; then
  KEK_PREVIOUS=$(mktemp -d)/redis_kek_previous
  : > "$KEK_PREVIOUS"
elif [ "$(head -n 1 "$KEK_PREVIOUS" | tr -d '\r\n' | tr 'A-F' 'a-f')" = "$(head -n 1 "$SECRETS/redis_kek" | tr -d '\r\n' | tr 'A-F' 'a-f')" ]; then
  fail "redis_kek_previous is the same as redis_kek: put the new KEK into redis_kek (AIRLOCK_SECRETS_DIR)"
fi

# --- certificates --------------------------------------------------------------------------
agents=""
for d in "$OUT"/agent-*; do
  [ -d "$d" ] || continue
  agents="$agents --agent ${d#"$OUT"/agent-}"
done
# shellcheck disable=SC2086 # one word per --agent ID
node /app/services/authenticator/dist/cli/airlock.js pki init --dir "$CA" \
  --server-name "${AIRLOCK_SERVER_NAME:-authenticator}" $agents --operator operator \
  | sed 's/^/setup: pki: /'

# put OWNER MODE DIR FILE...: copies each file (from $CA or $SECRETS) into DIR, owned and
# mode'd as given, and removes whatever else DIR holds; DIR itself is OWNER's, 0500.
put() {
  owner=$1 mode=$2 dir=$3
  shift 3
  keep=""
  for f in "$@"; do
    file=$(basename "$f")
    cp "$f" "$dir/.$file.tmp"
    chmod "$mode" "$dir/.$file.tmp"
    case "$file" in *.pem) chmod 0444 "$dir/.$file.tmp" ;; esac
    chown "$owner" "$dir/.$file.tmp"
    mv -f "$dir/.$file.tmp" "$dir/$file"
    keep="$keep $file"
  done
  for f in "$dir"/* "$dir"/.[!.]*; do
    [ -e "$f" ] || continue
    case " $keep " in *" $(basename "$f") "*) ;; *) rm -rf "$f" ;; esac
  done
  chmod 0500 "$dir"
  chown "$owner" "$dir"
}

# owner NAME DEFAULT: the uid:gid AIRLOCK_SETUP_OWNERS gives service NAME's files, or DEFAULT.
owner() {
  for pair in ${AIRLOCK_SETUP_OWNERS:-}; do
    case "$pair" in "$1="*) echo "${pair#*=}"; return ;; esac
  done
  echo "$2"
}

# extra NAME: the secrets AIRLOCK_SETUP_EXTRA lists for service NAME, as paths.
extra() {
  for pair in ${AIRLOCK_SETUP_EXTRA:-}; do
    case "$pair" in "$1="*) echo "$SECRETS/${pair#*=}" ;; esac
  done
}

for d in "$OUT"/*; do
  [ -d "$d" ] || continue
  name=$(basename "$d")
  # shellcheck disable=SC2046 # extra prints one path per line, without spaces
  case "$name" in
    freeradius)
      put 0:0 0400 "$d" "$CA/ca.pem" "$CA/radius-server.pem" "$CA/radius-server.key" \
        "$SECRETS/radius_secret" "$SECRETS/eap_test_password" $(extra "$name") ;;
    authenticator)
      put "$NODE_UID:$NODE_UID" 0400 "$d" "$CA/ca.pem" "$CA/ca-agent.pem" "$CA/ca-operator.pem" \
        "$CA/authenticator.pem" "$CA/authenticator.key" \
        "$SECRETS/radius_secret" "$SECRETS/psk_passphrase" \
        "$SECRETS/redis_password" "$SECRETS/redis_kek" "$KEK_PREVIOUS" $(extra "$name") ;;
    redis)
      # The official image's redis user (the test's stand-in from Debian's redis-server has the same).
      put "$(owner "$name" 999:999)" 0400 "$d" "$SECRETS/redis_password" $(extra "$name") ;;
    agent-*)
      id=${name#agent-}
      put "$(owner "$name" "$NODE_UID:$NODE_UID")" 0400 "$d" "$CA/ca.pem" "$CA/agent-$id.pem" "$CA/agent-$id.key" $(extra "$name") ;;
    *) fail "$OUT/$name: not a service this job knows (freeradius, authenticator, redis, agent-ID)" ;;
  esac
  echo "setup: $name: $(ls "$d" | tr '\n' ' ')"
done

# The operator's Admin API credentials, for `airlock --server 127.0.0.1:50052 --pki-dir ...`.
mkdir -p "$SECRETS/operator"
put "$HOST_UID:$HOST_GID" 0400 "$SECRETS/operator" "$CA/ca.pem" "$CA/operator-operator.pem" "$CA/operator-operator.key"
chmod 0700 "$SECRETS/operator"
echo "setup: done"
