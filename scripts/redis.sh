#!/usr/bin/env bash
# A Redis server on 127.0.0.1 for development and tests: no persistence, loopback only.
#
#   scripts/redis.sh start     start it (or confirm it runs) and wait until it answers PING
#   scripts/redis.sh stop      stop it
#   scripts/redis.sh status    exit 0 when it runs, 3 when it does not
#
# State (pid file, log) lives in var/redis.
#
# Environment:
#   REDIS_URL     when set, an existing server is used: start and stop do nothing
#   REDIS_PORT    port (6379)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REDIS_PORT="${REDIS_PORT:-6379}"
HOST=127.0.0.1
RUN_DIR="$VAR_DIR/redis"
PID_FILE="$RUN_DIR/redis.pid"
LOG_FILE="$RUN_DIR/redis.log"
PID_PATTERN="redis-server $HOST:$REDIS_PORT"

ping() {
  if have redis-cli; then
    [[ "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
  else
    local reply
    reply="$(
      exec 3<>"/dev/tcp/$HOST/$REDIS_PORT" || exit 1
      printf 'PING\r\n' >&3
      timeout 2 head -c 7 <&3
    )" 2>/dev/null || return 1
    [[ "$reply" == "+PONG"* ]]
  fi
}

running_pid() {
  local pid
  pid="$(read_pid "$PID_FILE")"
  if [[ -n "$pid" ]] && pid_alive "$pid" "$PID_PATTERN"; then
    echo "$pid"
  fi
}

cmd_start() {
  if [[ -n "${REDIS_URL:-}" ]]; then
    say "REDIS_URL=$REDIS_URL is set: using that server, not starting one"
    return 0
  fi
  have redis-server || die "redis-server not found; run scripts/deps.sh (or set REDIS_URL)"
  with_lock "$RUN_DIR/.lock"
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    if port_open "$HOST" "$REDIS_PORT"; then
      die "$HOST:$REDIS_PORT is in use by another process; stop it, pick another REDIS_PORT, or set REDIS_URL=redis://$HOST:$REDIS_PORT to use it"
    fi
    mkdir -p "$RUN_DIR"
    : >"$LOG_FILE"
    redis-server --bind "$HOST" --port "$REDIS_PORT" --protected-mode yes \
      --daemonize yes --pidfile "$PID_FILE" --logfile "$LOG_FILE" --dir "$RUN_DIR" \
      --save '' --appendonly no 9>&- ||
      die "redis-server failed to start (log: $LOG_FILE)"
  fi
  local i
  for ((i = 0; i < 100; i++)); do
    if ping; then
      say "ready on $HOST:$REDIS_PORT (pid $(read_pid "$PID_FILE"))"
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$LOG_FILE" >&2 || true
  die "redis-server did not answer PING on $HOST:$REDIS_PORT within 10s"
}

cmd_stop() {
  if [[ -n "${REDIS_URL:-}" ]]; then
    say "REDIS_URL=$REDIS_URL is set: that server is not ours to stop"
    return 0
  fi
  with_lock "$RUN_DIR/.lock"
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  stop_pid "$pid" "$PID_PATTERN" redis-server 10
  rm -f "$PID_FILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  if [[ -n "${REDIS_URL:-}" ]]; then
    say "using REDIS_URL=$REDIS_URL"
    return 0
  fi
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    say "running (pid $pid) on $HOST:$REDIS_PORT"
    return 0
  fi
  say "not running"
  return 3
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop && cmd_start ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|restart|status" >&2
    exit 2
    ;;
esac
