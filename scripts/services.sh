#!/usr/bin/env bash
# Local Redis and MariaDB on 127.0.0.1 for development and tests: installed from the OS packages when missing, started
# idempotently with their data outside the repo. Usage: scripts/services.sh up|down|status|env
set -euo pipefail

HOME_DIR="${COUPONKILL_HOME:-$HOME/.cache/couponkill}/services"
REDIS_PORT="${COUPONKILL_REDIS_PORT:-6379}"
MYSQL_PORT="${COUPONKILL_MYSQL_PORT:-3306}"
MYSQL_USER=couponkill
MYSQL_PASSWORD=couponkill
REDIS_DIR="$HOME_DIR/redis"
MYSQL_DIR="$HOME_DIR/mariadb"
MYSQL_SOCKET="$MYSQL_DIR/mysqld.sock"

say() { echo "services: $*" >&2; }
# shellcheck source=lib/host.sh
. "$(dirname "$0")/lib/host.sh"



redis_answers() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
mysql_answers() {
  mariadb --protocol=TCP -h127.0.0.1 -P"$MYSQL_PORT" -u"$MYSQL_USER" -p"$MYSQL_PASSWORD" -e 'SELECT 1' >/dev/null 2>&1
}

wait_for() {
  local what=$1 check=$2 tries=$3
  for ((i = 0; i < tries; i++)); do
    if "$check"; then return 0; fi
    sleep 0.25
  done
  die "$what did not answer in time (see $HOME_DIR/*.log)"
}

redis_up() {
  if redis_answers; then return 0; fi
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by something that is not Redis"
  mkdir -p "$REDIS_DIR"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --pidfile "$HOME_DIR/redis.pid" \
    --logfile "$HOME_DIR/redis.log" --dir "$REDIS_DIR" --save '' --appendonly no \
    --maxmemory-policy noeviction --protected-mode no
  wait_for Redis redis_answers 80
  say "Redis started on 127.0.0.1:$REDIS_PORT"
}

mysql_root() { mariadb --protocol=SOCKET -S "$MYSQL_SOCKET" -u"$(id -un)" "$@"; }
mysql_socket_answers() { mysql_root -e 'SELECT 1' >/dev/null 2>&1; }

mysql_up() {
  if mysql_answers; then return 0; fi
  if pid_alive "$HOME_DIR/mariadb.pid"; then
    wait_for MariaDB mysql_socket_answers 240
  else
    port_open "$MYSQL_PORT" && die "port $MYSQL_PORT is taken by something that does not accept user $MYSQL_USER"
    rm -f "$HOME_DIR/mariadb.pid" "$MYSQL_SOCKET"
    if [ ! -d "$MYSQL_DIR/data/mysql" ]; then
      mkdir -p "$MYSQL_DIR/data"
      say "initialising MariaDB in $MYSQL_DIR/data"
      mariadb-install-db --no-defaults --datadir="$MYSQL_DIR/data" --user="$(id -un)" \
        --auth-root-authentication-method=socket --skip-test-db >"$HOME_DIR/mariadb-install.log" 2>&1 \
        || die "mariadb-install-db failed (see $HOME_DIR/mariadb-install.log)"
    fi
    setsid nohup mariadbd --no-defaults --datadir="$MYSQL_DIR/data" --socket="$MYSQL_SOCKET" --port="$MYSQL_PORT" \
      --bind-address=127.0.0.1 --user="$(id -un)" --pid-file="$HOME_DIR/mariadb.pid" --log-error="$HOME_DIR/mariadb.log" \
      --innodb-buffer-pool-size=256M --innodb-log-file-size=128M --max-connections=500 --skip-name-resolve \
      </dev/null >/dev/null 2>&1 &
    wait_for MariaDB mysql_socket_answers 240
  fi
  mysql_root <<SQL
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'localhost' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_USER'@'localhost' WITH GRANT OPTION;
SQL
  wait_for MariaDB mysql_answers 40
  say "MariaDB started on 127.0.0.1:$MYSQL_PORT"
}


status_line() {
  local name=$1 answers=$2 pidfile=$3
  if "$answers"; then
    if pid_alive "$pidfile"; then echo "$name: running (ours)"; else echo "$name: running (external)"; fi
  else
    echo "$name: stopped"
  fi
}

case "${1:-}" in
  up)
    mkdir -p "$HOME_DIR"
    install_missing redis-server:redis-server redis-cli:redis-tools mariadbd:mariadb-server mariadb:mariadb-client
    redis_up
    mysql_up
    ;;
  down)
    stop_pidfile Redis "$HOME_DIR/redis.pid"
    stop_pidfile MariaDB "$HOME_DIR/mariadb.pid"
    ;;
  status)
    status_line redis redis_answers "$HOME_DIR/redis.pid"
    status_line mariadb mysql_answers "$HOME_DIR/mariadb.pid"
    ;;
  env)
    echo "export COUPONKILL_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
    echo "export COUPONKILL_MYSQL_URL=mysql://$MYSQL_USER:$MYSQL_PASSWORD@127.0.0.1:$MYSQL_PORT"
    ;;
  *)
    echo "usage: $0 up|down|status|env" >&2
    exit 2
    ;;
esac
