#!/usr/bin/env bash
# Make sure the infrastructure named in the arguments is running on this machine:
#   postgres rabbitmq redis chromium dovecot wrk
# Starts what is installed but stopped; installs missing Debian packages when allowed (root, apt-get,
# HELPDESK_NO_APT unset). Says in one line what is wrong and exits non-zero when it cannot.
set -u
AMQP_HOST=${HELPDESK_AMQP_HOST:-127.0.0.1}
log() { echo "[infra] $*"; }
fail() { echo "ERROR: $*" >&2; exit 1; }

apt_allowed() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ -z "${HELPDESK_NO_APT:-}" ]; }
APT_UPDATED=""
apt_install() {
  apt_allowed || return 1
  if [ -z "$APT_UPDATED" ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1; APT_UPDATED=1; fi
  log "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}
wait_for() { # seconds command...
  local n=$(( $1 * 5 )); shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

ensure_postgres() {
  port_open 127.0.0.1 5432 && return 0
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql || fail "PostgreSQL is not running on 127.0.0.1:5432 and could not be installed (install postgresql, trust auth for 127.0.0.1)"
    local ver; ver=$(ls /etc/postgresql | sort -V | tail -1)
    # the test suite connects as postgres over TCP without a password, as on the project's machines
    sed -i 's/^\(host\s\+all\s\+all\s\+\S\+\s\+\)\S\+$/\1trust/' "/etc/postgresql/$ver/main/pg_hba.conf"
  fi
  local ver; ver=$(ls /etc/postgresql | sort -V | tail -1)
  log "starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
  wait_for 30 port_open 127.0.0.1 5432 || fail "PostgreSQL could not be started on 127.0.0.1:5432"
}

ensure_rabbitmq() {
  port_open "$AMQP_HOST" 5672 && return 0
  if ! command -v rabbitmq-server >/dev/null; then
    apt_install rabbitmq-server || fail "RabbitMQ is not reachable on $AMQP_HOST:5672 and could not be installed (apt-get install rabbitmq-server)"
  fi
  log "starting RabbitMQ (takes a few seconds)"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for 60 rabbitmq-diagnostics -q ping || fail "RabbitMQ could not be started (rabbitmq-server -detached)"
  rabbitmqctl -q await_startup >/dev/null 2>&1 || true
  wait_for 30 port_open "$AMQP_HOST" 5672 || fail "RabbitMQ started but AMQP port 5672 is not open"
}

ensure_redis() {
  port_open 127.0.0.1 6379 && return 0
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server || fail "Redis is not reachable on 127.0.0.1:6379 and could not be installed (apt-get install redis-server)"
  fi
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
  wait_for 15 port_open 127.0.0.1 6379 || fail "Redis could not be started on 127.0.0.1:6379"
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  apt_install chromium || fail "Chromium is missing at /usr/bin/chromium and could not be installed (apt-get install chromium)"
}

ensure_dovecot() {
  # the IMAP tests start their own unprivileged dovecot; they only need the binary
  [ -x /usr/sbin/dovecot ] && return 0
  apt_install dovecot-imapd || fail "dovecot is missing (/usr/sbin/dovecot) and could not be installed (apt-get install dovecot-imapd)"
}

ensure_wrk() {
  # bench/search.py --load wrk (decision 0137): an HTTP load generator lighter than the Python client, whose own
  # CPU would otherwise take a share of the two cores the measured services run on
  command -v wrk >/dev/null && return 0
  apt_install wrk || fail "wrk is missing and could not be installed (apt-get install wrk)"
}

for what in "$@"; do
  case "$what" in
    postgres) ensure_postgres ;;
    rabbitmq) ensure_rabbitmq ;;
    redis) ensure_redis ;;
    chromium) ensure_chromium ;;
    dovecot) ensure_dovecot ;;
    wrk) ensure_wrk ;;
    *) fail "unknown infrastructure: $what" ;;
  esac
done
