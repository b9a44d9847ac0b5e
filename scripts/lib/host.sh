# Shared by the scripts that install and run local servers; sourced after the script defines say().
# shellcheck shell=bash
# shellcheck disable=SC2034 # PORT_*, SERVER_* and SPAWNED_PID are results the sourcing scripts read.

die() {
  say "$*"
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# Installs, from the OS packages, what provides each missing command: `install_missing redis-cli:redis-tools …`.
install_missing() {
  local missing=() pair
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing ${missing[*]} from the OS packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Polls a command every 0.25 s until it succeeds or the seconds run out: `wait_until 30 redis_answers`.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.25
  done
}

# ---------------------------------------------------------------------------------------------------------------------
# Settings. Every port comes from a COUPONKILL_*_PORT variable and every bind address from a COUPONKILL_*_HOST one;
# a bad value stops the script naming the variable.

# `PORT="$(port_setting COUPONKILL_REDIS_PORT 6379)"`
port_setting() {
  local value="${!1:-$2}"
  if ! [[ $value =~ ^[0-9]+$ ]] || [ "$value" -lt 1 ] || [ "$value" -gt 65535 ]; then
    die "$1=$value is not a TCP port (1-65535)"
  fi
  echo "$value"
}

# `HOST="$(host_setting COUPONKILL_SERVICES_HOST)"`: an IPv4 address, 127.0.0.1 unless told otherwise (0.0.0.0 = every
# interface).
host_setting() {
  local value="${!1:-127.0.0.1}"
  [[ $value =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "$1=$value is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)"
  echo "$value"
}

is_wildcard() { case "$1" in '*' | 0.0.0.0 | ::) return 0 ;; *) return 1 ;; esac }

# Where clients reach a server bound to a host: the host itself, or 127.0.0.1 for a server on every interface.
connect_host() { if is_wildcard "$1"; then echo 127.0.0.1; else echo "$1"; fi; }

# A port spec is "port|variable|scope|description": scope `host` = the server binds the script's host address; `all` =
# the server can only bind every interface (said where the spec is written), which includes 127.0.0.1.
port_label() {
  local port var scope desc
  IFS='|' read -r port var scope desc <<<"$1"
  echo "port $port ($desc, $var)"
}

# Stops the script when two specs share a port: `distinct_ports SPEC…`.
distinct_ports() {
  local specs=("$@") a b
  for ((a = 0; a < ${#specs[@]}; a++)); do
    for ((b = a + 1; b < ${#specs[@]}; b++)); do
      [ "${specs[a]%%|*}" != "${specs[b]%%|*}" ] ||
        die "$(port_label "${specs[a]}") and $(port_label "${specs[b]}") are the same port: move one"
    done
  done
}

# ---------------------------------------------------------------------------------------------------------------------
# Processes. A server is "ours" when the pid in its pid file is alive and its command line (or working directory) holds
# the marker the script gives: a path inside this script's state directory, so a reused pid, or the same server run
# by someone else from elsewhere, is not ours.

pid_cmdline() {
  local cmd=""
  if [ -r "/proc/$1/cmdline" ]; then cmd="$(tr -s '\0 ' '  ' 2>/dev/null <"/proc/$1/cmdline" || true)"; fi
  echo "${cmd% }"
}

# Alive and not a zombie, by the state in /proc/<pid>/stat (after the command name, which may hold spaces and
# parentheses). Not by the command line: a server that rewrites its title (Redis does, as it starts) shows an empty
# one for a moment, and was once taken for dead and stopped.
pid_running() {
  local state
  state="$(sed -n 's/^.*) \([A-Za-z]\) .*$/\1/p' "/proc/$1/stat" 2>/dev/null || true)"
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

pid_identity() {
  local cmd
  cmd="$(pid_cmdline "$1")"
  [ -n "$cmd" ] || return 0
  echo "$cmd cwd=$(readlink "/proc/$1/cwd" 2>/dev/null || true)/"
}

# `our_pid <pidfile> <marker>` prints the pid when that process is ours, else fails.
our_pid() {
  local pid identity
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  identity="$(pid_identity "$pid")"
  [ -n "$identity" ] && [[ $identity == *"$2"* ]] || return 1
  echo "$pid"
}

# Whether a pid is the root pid or one of its descendants.
descends_from() {
  local pid=$1 root=$2 i
  for ((i = 0; i < 64; i++)); do
    [ "$pid" = "$root" ] && return 0
    [[ $pid =~ ^[0-9]+$ ]] && [ "$pid" -gt 1 ] || return 1
    pid="$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" || return 1
  done
  return 1
}

# "pid 1234 node /srv/x.js …" for messages.
describe_pid() {
  local pid=$1 name=$2 cmd argv0
  if [ "$pid" = - ]; then
    echo "pid unknown: ss cannot see another user's process without root"
    return 0
  fi
  cmd="$(pid_cmdline "$pid")"
  [ -n "$cmd" ] || cmd=$name
  argv0="${cmd%% *}"
  cmd="${argv0##*/}${cmd#"$argv0"}"
  [ "${#cmd}" -le 60 ] || cmd="${cmd:0:60}…"
  echo "pid $pid $cmd"
}

# Runs a server detached from this shell, its output in a log, its pid in a pid file, and remembers it so that a failed
# start stops everything this run started: `spawn <name> <pidfile> <marker> <log> <command>…`; sets SPAWNED_PID.
STARTED=()
spawn() {
  local name=$1 pidfile=$2 marker=$3 log=$4
  shift 4
  setsid nohup "$@" </dev/null >"$log" 2>&1 &
  SPAWNED_PID=$!
  echo "$SPAWNED_PID" >"$pidfile"
  STARTED+=("$name|$pidfile|$marker")
}

# TERM, up to 30 s to exit, then KILL; only a process that is ours: `stop_pidfile <name> <pidfile> <marker>`.
stop_pidfile() {
  local name=$1 pidfile=$2 marker=$3 pid i
  if ! pid="$(our_pid "$pidfile" "$marker")"; then
    rm -f "$pidfile"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 120; i++)); do
    pid_running "$pid" || break
    sleep 0.25
  done
  if pid_running "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
  say "$name stopped"
}

# Stops what this run started (newest first), then fails with the message.
abort_started() {
  local i name pidfile marker log
  # The log a message points at is gone with the next start: its last lines go to stderr now, for CI logs.
  log=$(grep -o '(see [^)]*)' <<<"$*" | tail -n 1 | sed 's/^(see //; s/)$//')
  if [ -n "$log" ] && [ -f "$log" ]; then
    say "last lines of $log:"
    tail -n 20 "$log" | sed 's/^/  | /' >&2
  fi
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    IFS='|' read -r name pidfile marker <<<"${STARTED[i]}"
    stop_pidfile "$name" "$pidfile" "$marker"
  done
  STARTED=()
  die "$*"
}

# ---------------------------------------------------------------------------------------------------------------------
# Who listens where, from `ss -ltnp` (iproute2).

# Listening TCP sockets on a port, one line each: "<pid> <address> <process name>" (pid and name "-" when nobody we
# can see holds it). Addresses lose brackets, zone and the IPv4-mapped prefix: 127.0.0.1, *, 0.0.0.0, ::.
# ss maps sockets to processes from a scan of /proc/*/fd made before it asks the kernel for the sockets, so a socket
# bound during that scan (a server we just started, on a busy machine) comes back without its process; such a socket
# is looked up again by its inode.
port_listeners() {
  local _state _recv _send laddr _peer process addr pid found ino
  while read -r _state _recv _send laddr _peer process; do
    addr="${laddr%:*}"
    addr="${addr#[}"
    addr="${addr%]}"
    addr="${addr%%\%*}"
    addr="${addr#::ffff:}"
    ino=""
    [[ $process =~ ino:([0-9]+) ]] && ino="${BASH_REMATCH[1]}"
    found=0
    while [[ $process =~ \"([^\"]*)\",pid=([0-9]+) ]]; do
      pid="${BASH_REMATCH[2]}"
      echo "$pid $addr ${BASH_REMATCH[1]}"
      process="${process#*pid="$pid"}"
      found=1
    done
    if [ "$found" -eq 0 ] && [ -n "$ino" ] && [ "$ino" != 0 ]; then
      for pid in $(socket_holders "$ino"); do
        echo "$pid $addr $(cat "/proc/$pid/comm" 2>/dev/null || echo -)"
        found=1
      done
    fi
    [ "$found" -eq 1 ] || echo "- $addr -"
  done < <(ss -Hltnpe "sport = :$1" 2>/dev/null)
}

# The pids whose open files include socket inode $1 (those we may read: our own user's, or every one as root).
socket_holders() {
  find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\[$1\]" 2>/dev/null | cut -d/ -f3 | sort -u
}

address_allowed() {
  local addr=$1 scope=$2 host=$3
  if is_wildcard "$host"; then
    is_wildcard "$addr"
    return
  fi
  [ "$addr" = "$host" ] || { [ "$scope" = all ] && is_wildcard "$addr"; }
}

# `port_state <port> <scope> <host> [<our pid>]` sets PORT_STATE: free (nobody listens), ours (our pid or a child of it
# listens, on an address the scope allows; PORT_ADDRS), wide (ours, on every interface where only the host was asked
# for, as servers started by older versions of these scripts do), misbound (ours, on an address that is not the host)
# or taken (another program: PORT_HOLDER describes it).
port_state() {
  local port=$1 scope=$2 host=$3 ours=${4:-} pid addr name addrs=()
  PORT_STATE=free PORT_HOLDER="" PORT_ADDRS=""
  while read -r pid addr name; do
    if [ -z "$ours" ] || [ "$pid" = - ] || ! descends_from "$pid" "$ours"; then
      PORT_STATE=taken
      PORT_HOLDER="$(describe_pid "$pid" "$name")"
      return 0
    fi
    [[ " ${addrs[*]} " == *" $addr "* ]] || addrs+=("$addr")
  done < <(port_listeners "$port")
  [ "${#addrs[@]}" -gt 0 ] || return 0
  PORT_ADDRS="${addrs[*]}"
  PORT_STATE=ours
  for addr in "${addrs[@]}"; do
    address_allowed "$addr" "$scope" "$host" && continue
    if is_wildcard "$addr" && [ "$PORT_STATE" = ours ]; then PORT_STATE=wide; else PORT_STATE=misbound; fi
  done
  return 0
}

# ---------------------------------------------------------------------------------------------------------------------
# A server's life cycle against its ports.

# Before starting: `server_check <name> <pidfile> <marker> <host> <spec>…` stops the script naming the first port that
# another program holds, or that our server holds on the wrong address; otherwise sets SERVER_PID (ours, alive, or
# empty) and SERVER_STATE: up (ours listens on every port), stopped (nothing of ours runs, every port is free) or
# starting (ours runs and does not listen on every port yet).
server_check() {
  local name=$1 pidfile=$2 marker=$3 host=$4 spec port var scope desc silent=0
  shift 4
  SERVER_PID="$(our_pid "$pidfile" "$marker" || true)"
  for spec in "$@"; do
    IFS='|' read -r port var scope desc <<<"$spec"
    port_state "$port" "$scope" "$host" "$SERVER_PID"
    case $PORT_STATE in
      taken) die "$(port_label "$spec") is taken by another program ($PORT_HOLDER)" ;;
      wide) say "warning: $name (pid $SERVER_PID) listens on every interface on port $port ($desc, $var), not only on $host: \`$0 down\` and \`up\` again to narrow it" ;;
      misbound) die "$name (pid $SERVER_PID) listens on $PORT_ADDRS port $port, not on $host ($desc, $var): stop it with \`$0 down\` first" ;;
      free) silent=$((silent + 1)) ;;
    esac
  done
  if [ -z "$SERVER_PID" ]; then
    SERVER_STATE=stopped
  elif [ "$silent" -eq 0 ]; then
    SERVER_STATE=up
  else
    SERVER_STATE=starting
  fi
}

# After starting (or for one found starting): `await_ports <name> <pid> <seconds> <host> <log> <spec>…` waits until
# that pid (or a child) listens on every port, on the host (or every interface for scope `all`). Otherwise it stops
# what this run started and fails naming the port, its variable and the log.
await_ports() {
  local name=$1 pid=$2 seconds=$3 host=$4 log=$5 spec port var scope desc pending
  local deadline=$((SECONDS + seconds))
  shift 5
  while :; do
    pending=""
    for spec in "$@"; do
      IFS='|' read -r port var scope desc <<<"$spec"
      port_state "$port" "$scope" "$host" "$pid"
      case $PORT_STATE in
        taken) abort_started "$(port_label "$spec") is taken by another program ($PORT_HOLDER), so $name (pid $pid) could not listen there (see $log)" ;;
        wide | misbound) abort_started "$name (pid $pid) listens on $PORT_ADDRS port $port, not on $host ($desc, $var) (see $log)" ;;
        free) [ -n "$pending" ] || pending=$spec ;;
      esac
    done
    [ -n "$pending" ] || return 0
    IFS='|' read -r port var scope desc <<<"$pending"
    pid_running "$pid" || abort_started "$name (pid $pid) exited before listening on $host port $port ($desc, $var) (see $log)"
    [ "$SECONDS" -lt "$deadline" ] ||
      abort_started "$name (pid $pid) is not listening on $host port $port ($desc, $var) after $seconds s (see $log)"
    sleep 0.25
  done
}

# For `status`: `status_report <name> <pidfile> <marker> <host> <spec>…`, a line for the server and one per port.
status_report() {
  local name=$1 pidfile=$2 marker=$3 host=$4 pid spec port var scope desc where
  shift 4
  pid="$(our_pid "$pidfile" "$marker" || true)"
  if [ -n "$pid" ]; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; fi
  for spec in "$@"; do
    IFS='|' read -r port var scope desc <<<"$spec"
    port_state "$port" "$scope" "$host" "$pid"
    where="  port $port ($desc, $var):"
    case $PORT_STATE in
      ours)
        if [ "$scope" = all ] && ! is_wildcard "$host"; then
          echo "$where listening on $PORT_ADDRS (every interface: cannot be bound to $host)"
        else
          echo "$where listening on $PORT_ADDRS"
        fi
        ;;
      wide | misbound) echo "$where listening on $PORT_ADDRS, not on $host" ;;
      taken) echo "$where taken by another program ($PORT_HOLDER)" ;;
      free) if [ -n "$pid" ]; then echo "$where not listening"; else echo "$where free"; fi ;;
    esac
  done
}
