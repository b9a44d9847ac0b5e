#!/usr/bin/env bash
# Local Redis and MariaDB for development and tests: installed from the OS packages when missing, started idempotently
# with their data outside the repo, on 127.0.0.1 unless COUPONKILL_SERVICES_HOST says otherwise.
#
#   up [redis] [mariadb]       check the ports, start what is not running, check it listens where it should
#   down|status [redis] [mariadb]
#   env                        print `export COUPONKILL_REDIS_URL=…` and COUPONKILL_MYSQL_URL for eval
#
# Ports: COUPONKILL_REDIS_PORT (6379), COUPONKILL_MYSQL_PORT (3306). A port held by anything but our own server (the
# pid in its pid file, started from this state directory) stops `up` with the program that holds it.
set -euo pipefail

say() { echo "services: $*" >&2; }
# shellcheck source=lib/host.sh
. "$(dirname "$0")/lib/host.sh"

HOME_DIR="${COUPONKILL_HOME:-$HOME/.cache/couponkill}/services"
HOST="$(host_setting COUPONKILL_SERVICES_HOST)"
CONNECT="$(connect_host "$HOST")"
REDIS_PORT="$(port_setting COUPONKILL_REDIS_PORT 6379)"
MYSQL_PORT="$(port_setting COUPONKILL_MYSQL_PORT 3306)"
MYSQL_USER=couponkill
MYSQL_PASSWORD=couponkill
REDIS_DIR="$HOME_DIR/redis"
MYSQL_DIR="$HOME_DIR/mariadb"
MYSQL_SOCKET="$MYSQL_DIR/mysqld.sock"

REDIS_PIDFILE="$HOME_DIR/redis.pid"
MYSQL_PIDFILE="$HOME_DIR/mariadb.pid"
# Redis rewrites its process title ("redis-server 127.0.0.1:6379") but runs in its --dir; mariadbd keeps its arguments.
REDIS_MARKER="cwd=$REDIS_DIR/"
MYSQL_MARKER="--datadir=$MYSQL_DIR/data"
REDIS_SPECS=("$REDIS_PORT|COUPONKILL_REDIS_PORT|host|Redis")
MYSQL_SPECS=("$MYSQL_PORT|COUPONKILL_MYSQL_PORT|host|MariaDB")
distinct_ports "${REDIS_SPECS[@]}" "${MYSQL_SPECS[@]}"

redis_answers() { redis-cli -h "$CONNECT" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
mysql_answers() {
  mariadb --protocol=TCP -h"$CONNECT" -P"$MYSQL_PORT" -u"$MYSQL_USER" -p"$MYSQL_PASSWORD" -e 'SELECT 1' >/dev/null 2>&1
}
mysql_root() { mariadb --protocol=SOCKET -S "$MYSQL_SOCKET" -u"$(id -un)" "$@"; }
mysql_socket_answers() { mysql_root -e 'SELECT 1' >/dev/null 2>&1; }

redis_up() {
  case $REDIS_STATE in
    up) return 0 ;;
    starting) await_ports Redis "$REDIS_PID" 20 "$HOST" "$HOME_DIR/redis.log" "${REDIS_SPECS[@]}" ;;
    stopped)
      mkdir -p "$REDIS_DIR"
      spawn Redis "$REDIS_PIDFILE" "$REDIS_MARKER" "$HOME_DIR/redis.out" \
        redis-server --bind "$HOST" --port "$REDIS_PORT" --daemonize no --logfile "$HOME_DIR/redis.log" \
        --dir "$REDIS_DIR" --save '' --appendonly no --maxmemory-policy noeviction --protected-mode no
      REDIS_PID=$SPAWNED_PID
      await_ports Redis "$REDIS_PID" 20 "$HOST" "$HOME_DIR/redis.log" "${REDIS_SPECS[@]}"
      ;;
  esac
  wait_until 20 redis_answers || abort_started "Redis (pid $REDIS_PID) does not answer PING on $CONNECT:$REDIS_PORT (see $HOME_DIR/redis.log)"
  say "Redis started on $HOST:$REDIS_PORT (pid $REDIS_PID)"
}

mysql_up() {
  case $MYSQL_STATE in
    up) mysql_answers && return 0 ;;
    starting) await_ports MariaDB "$MYSQL_PID" 60 "$HOST" "$HOME_DIR/mariadb.log" "${MYSQL_SPECS[@]}" ;;
    stopped)
      rm -f "$MYSQL_SOCKET"
      if [ ! -d "$MYSQL_DIR/data/mysql" ]; then
        mkdir -p "$MYSQL_DIR/data"
        say "initialising MariaDB in $MYSQL_DIR/data"
        mariadb-install-db --no-defaults --datadir="$MYSQL_DIR/data" --user="$(id -un)" \
          --auth-root-authentication-method=socket --skip-test-db >"$HOME_DIR/mariadb-install.log" 2>&1 ||
          die "mariadb-install-db failed (see $HOME_DIR/mariadb-install.log)"
      fi
      spawn MariaDB "$MYSQL_PIDFILE" "$MYSQL_MARKER" "$HOME_DIR/mariadb.out" \
        mariadbd --no-defaults --datadir="$MYSQL_DIR/data" --socket="$MYSQL_SOCKET" --port="$MYSQL_PORT" \
        --bind-address="$HOST" --user="$(id -un)" --pid-file="$MYSQL_PIDFILE" --log-error="$HOME_DIR/mariadb.log" \
        --innodb-buffer-pool-size=256M --innodb-log-file-size=128M --max-connections=500 --skip-name-resolve
      MYSQL_PID=$SPAWNED_PID
      await_ports MariaDB "$MYSQL_PID" 60 "$HOST" "$HOME_DIR/mariadb.log" "${MYSQL_SPECS[@]}"
      ;;
  esac
  wait_until 60 mysql_socket_answers ||
    abort_started "MariaDB (pid $MYSQL_PID) does not answer on $MYSQL_SOCKET (see $HOME_DIR/mariadb.log)"
  mysql_root <<SQL
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'$CONNECT' IDENTIFIED BY '$MYSQL_PASSWORD';
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'localhost' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_USER'@'$CONNECT' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_USER'@'localhost' WITH GRANT OPTION;
SQL
  wait_until 10 mysql_answers ||
    abort_started "MariaDB (pid $MYSQL_PID) does not let $MYSQL_USER in on $CONNECT:$MYSQL_PORT (see $HOME_DIR/mariadb.log)"
  say "MariaDB started on $HOST:$MYSQL_PORT (pid $MYSQL_PID)"
}

command=${1:-}
[ $# -gt 0 ] && shift
SELECTED=("$@")
[ "${#SELECTED[@]}" -gt 0 ] || SELECTED=(redis mariadb)
for name in "${SELECTED[@]}"; do
  case $name in redis | mariadb) ;; *) die "unknown server $name (redis or mariadb)" ;; esac
done
selected() { [[ " ${SELECTED[*]} " == *" $1 "* ]]; }

case "$command" in
  up)
    mkdir -p "$HOME_DIR"
    install_missing ss:iproute2
    # Every port is checked before anything is installed or started.
    if selected redis; then
      server_check Redis "$REDIS_PIDFILE" "$REDIS_MARKER" "$HOST" "${REDIS_SPECS[@]}"
      REDIS_STATE=$SERVER_STATE REDIS_PID=$SERVER_PID
    fi
    if selected mariadb; then
      server_check MariaDB "$MYSQL_PIDFILE" "$MYSQL_MARKER" "$HOST" "${MYSQL_SPECS[@]}"
      MYSQL_STATE=$SERVER_STATE MYSQL_PID=$SERVER_PID
    fi
    if selected redis; then
      install_missing redis-server:redis-server redis-cli:redis-tools
      redis_up
    fi
    if selected mariadb; then
      install_missing mariadbd:mariadb-server mariadb:mariadb-client
      mysql_up
    fi
    ;;
  down)
    if selected redis; then stop_pidfile Redis "$REDIS_PIDFILE" "$REDIS_MARKER"; fi
    if selected mariadb; then stop_pidfile MariaDB "$MYSQL_PIDFILE" "$MYSQL_MARKER"; fi
    ;;
  status)
    if selected redis; then status_report redis "$REDIS_PIDFILE" "$REDIS_MARKER" "$HOST" "${REDIS_SPECS[@]}"; fi
    if selected mariadb; then status_report mariadb "$MYSQL_PIDFILE" "$MYSQL_MARKER" "$HOST" "${MYSQL_SPECS[@]}"; fi
    ;;
  env)
    echo "export COUPONKILL_REDIS_URL=redis://$CONNECT:$REDIS_PORT"
    echo "export COUPONKILL_MYSQL_URL=mysql://$MYSQL_USER:$MYSQL_PASSWORD@$CONNECT:$MYSQL_PORT"
    ;;
  *)
    echo "usage: $0 up|down|status [redis] [mariadb] | env" >&2
    exit 2
    ;;
esac
