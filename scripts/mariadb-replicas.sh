#!/usr/bin/env bash
# Two MariaDB servers with GTID replication (a primary and its replica), from Debian's packages, on 127.0.0.1: the
# event store's primary change is tested against them (promote the replica, publish its address). Test data only: a
# stopped pair starts again empty, replicating.
#
#   up | down | status
#   env      print COUPONKILL_TEST_MYSQL_PRIMARY_URL, COUPONKILL_TEST_MYSQL_REPLICA_URL (an admin) and
#            COUPONKILL_TEST_MYSQL_APP_USER (rights on databases ck_* only) exports for eval
#
# Ports: COUPONKILL_REPLICA_SET_PORT (13306: the primary; +1 the replica).
set -euo pipefail

say() { echo "mariadb-replicas: $*" >&2; }
# shellcheck source=lib/host.sh
. "$(dirname "$0")/lib/host.sh"

STATE="${COUPONKILL_HOME:-$HOME/.cache/couponkill}/services/mariadb-replicas"
HOST=127.0.0.1
PORT="$(port_setting COUPONKILL_REPLICA_SET_PORT 13306)"
USER_NAME=couponkill
PASSWORD=couponkill

install_missing mariadbd:mariadb-server mariadb:mariadb-client

root() { mariadb --protocol=SOCKET -S "$STATE/$1/mysqld.sock" -u"$(id -un)" "${@:2}"; }
answers() { root "$1" -e 'SELECT 1' >/dev/null 2>&1; }

# `server <name> <port> <server id>`: started fresh unless ours already listens.
server() {
  local name=$1 port=$2 id=$3 dir="$STATE/$1"
  local spec="$port|COUPONKILL_REPLICA_SET_PORT|host|MariaDB $name"
  server_check "MariaDB $name" "$STATE/$name.pid" "--datadir=$dir/data" "$HOST" "$spec"
  [ "$SERVER_STATE" = up ] && return 1
  if [ "$SERVER_STATE" = stopped ]; then
    rm -rf "$dir"
    mkdir -p "$dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" --auth-root-authentication-method=socket \
      --skip-test-db >"$STATE/$name-install.log" 2>&1 || die "mariadb-install-db failed (see $STATE/$name-install.log)"
    spawn "MariaDB $name" "$STATE/$name.pid" "--datadir=$dir/data" "$STATE/$name.out" \
      mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" --port="$port" --bind-address="$HOST" \
      --user="$(id -un)" --pid-file="$STATE/$name.pid" --log-error="$STATE/$name.log" --server-id="$id" \
      --log-bin=mysql-bin --binlog-format=ROW --log-slave-updates --innodb-buffer-pool-size=64M \
      --max-connections=200 --skip-name-resolve
    SERVER_PID=$SPAWNED_PID
  fi
  await_ports "MariaDB $name" "$SERVER_PID" 60 "$HOST" "$STATE/$name.log" "$spec"
  wait_until 60 answers "$name" || abort_started "MariaDB $name does not answer on its socket (see $STATE/$name.log)"
  # Users are made outside the binary log: the replica makes its own, and replication carries only data.
  root "$name" <<SQL
SET sql_log_bin = 0;
CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'127.0.0.1' WITH GRANT OPTION;
-- The application's user: rights on the test databases only, so read_only binds it (an ALL PRIVILEGES user holds
-- READ_ONLY ADMIN, which writes through read_only).
CREATE USER IF NOT EXISTS 'ckapp'@'127.0.0.1' IDENTIFIED BY 'ckapp';
GRANT ALL PRIVILEGES ON \`ck\\_%\`.* TO 'ckapp'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY 'repl';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
SQL
  return 0
}

up() {
  mkdir -p "$STATE"
  local fresh=0
  server primary "$PORT" 1 && fresh=1
  server replica $((PORT + 1)) 2 && fresh=1
  if [ "$fresh" = 1 ]; then
    root replica <<SQL
STOP SLAVE;
CHANGE MASTER TO MASTER_HOST='$HOST', MASTER_PORT=$PORT, MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=current_pos;
SET GLOBAL read_only = 1;
START SLAVE;
SQL
  fi
  replicating() {
    local status
    status="$(root replica -e 'SHOW SLAVE STATUS\G')"
    grep -q 'Slave_IO_Running: Yes' <<<"$status" && grep -q 'Slave_SQL_Running: Yes' <<<"$status"
  }
  wait_until 30 replicating || abort_started "the replica does not replicate (see $STATE/replica.log)"
  say "MariaDB primary $HOST:$PORT, replica $HOST:$((PORT + 1)) (GTID replication)"
}

case "${1:-}" in
  up) up ;;
  down)
    stop_pidfile "MariaDB replica" "$STATE/replica.pid" "--datadir=$STATE/replica/data"
    stop_pidfile "MariaDB primary" "$STATE/primary.pid" "--datadir=$STATE/primary/data"
    ;;
  status)
    status_report "MariaDB primary" "$STATE/primary.pid" "--datadir=$STATE/primary/data" "$HOST" "$PORT|COUPONKILL_REPLICA_SET_PORT|host|MariaDB primary"
    status_report "MariaDB replica" "$STATE/replica.pid" "--datadir=$STATE/replica/data" "$HOST" "$((PORT + 1))|COUPONKILL_REPLICA_SET_PORT+1|host|MariaDB replica"
    ;;
  env)
    # The admin user (promotes, sets read_only) and the application's user (databases ck_*).
    echo "export COUPONKILL_TEST_MYSQL_PRIMARY_URL=mysql://$USER_NAME:$PASSWORD@$HOST:$PORT"
    echo "export COUPONKILL_TEST_MYSQL_REPLICA_URL=mysql://$USER_NAME:$PASSWORD@$HOST:$((PORT + 1))"
    echo "export COUPONKILL_TEST_MYSQL_APP_USER=ckapp:ckapp"
    ;;
  *) die "usage: $0 up|down|status|env" ;;
esac
