#!/usr/bin/env bash
# Runs holdfast locally with everything it talks to:
#   - Redis and Kafka (unless REDIS_URL / KAFKA_BROKERS name existing ones; without java,
#     holdfast's embedded development broker stands in for Kafka),
#   - the example echo service (examples/echo-service) in a Python venv under var/venv,
#   - holdfast itself in the foreground with examples/quickstart/holdfast.yaml.
# Ctrl-C stops holdfast and then everything this script started.
#
# Environment:
#   BUILD_DIR          build directory (build)
#   HOLDFAST_CONFIG    config file (examples/quickstart/holdfast.yaml)
#   HOLDFAST_PORT      the WebSocket port the config listens on (8080)
#   KAFKA_BROKERS      use this Kafka ("embedded" for holdfast's development broker)
#   REDIS_URL          use this Redis
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO"
BUILD_DIR="${BUILD_DIR:-build}"
BIN="$BUILD_DIR/holdfast"
CONFIG="${HOLDFAST_CONFIG:-examples/quickstart/holdfast.yaml}"
export HOLDFAST_PORT="${HOLDFAST_PORT:-8080}"
RUN_DIR="$VAR_DIR/run"
VENV="$VAR_DIR/venv"
ECHO_DIR="$REPO/examples/echo-service"
ECHO_LOG="$RUN_DIR/echo-service.log"
ECHO_PID_FILE="$RUN_DIR/echo-service.pid"
HOLDFAST_LOG="$RUN_DIR/holdfast.log"

[[ -x "$BIN" ]] || die "$BIN not found; run 'make build' first"
[[ -f "$CONFIG" ]] || die "config $CONFIG not found"
mkdir -p "$RUN_DIR"

started=()
watcher=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  trap - INT TERM
  if [[ -n "$watcher" ]]; then
    kill "$watcher" 2>/dev/null || true
  fi
  local pid
  pid="$(read_pid "$ECHO_PID_FILE")"
  if [[ -n "$pid" ]]; then
    stop_pid "$pid" echo_service.py echo-service 15
    rm -f "$ECHO_PID_FILE"
  fi
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    env -u KAFKA_BROKERS -u REDIS_URL "$REPO/scripts/${started[i]}.sh" stop || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- buses -------------------------------------------------------------------------------------

if [[ -z "${REDIS_URL:-}" ]]; then
  scripts/redis.sh status >/dev/null || started+=(redis)
  scripts/redis.sh start
  export REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}"
fi

embedded=0
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  if have "${JAVA:-java}"; then
    scripts/kafka.sh status >/dev/null || started+=(kafka)
    scripts/kafka.sh start
    export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}"
  else
    say "java is not installed: using holdfast's embedded development Kafka broker instead"
    say "(scripts/deps.sh installs java for a real broker)"
    export KAFKA_BROKERS=embedded
  fi
fi
[[ "$KAFKA_BROKERS" == embedded ]] && embedded=1

# Topics the config names, created up front so that the first messages need no metadata refresh.
if ((embedded == 0)) && have "${JAVA:-java}"; then
  mapfile -t topics < <(sed -n 's/.*topic:[[:space:]]*"\{0,1\}\([A-Za-z0-9._-]\{1,\}\)"\{0,1\}[[:space:]]*[,}]\{0,1\}.*/\1/p' "$CONFIG" | sort -u)
  if ((${#topics[@]} > 0)); then
    scripts/kafka.sh create-topics "${topics[@]}" || warn "could not create every topic; they will be created on first use"
  fi
fi

# --- the echo service --------------------------------------------------------------------------

ensure_venv() {
  local reqs=("$ECHO_DIR/requirements.txt" "$REPO/scripts/requirements-run.txt")
  local want stamp="$VENV/.requirements.sha256"
  want="$(cat "${reqs[@]}" | sha256sum | cut -d' ' -f1)"
  if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  local python=python3
  [[ -x /usr/bin/python3 ]] && python=/usr/bin/python3
  say "setting up the Python venv in $VENV"
  [[ -x "$VENV/bin/python" ]] || "$python" -m venv "$VENV" ||
    die "could not create a venv (is python3-venv installed? run scripts/deps.sh)"
  "$VENV/bin/python" -m pip install -q -r "${reqs[0]}" -r "${reqs[1]}" ||
    die "pip install failed"
  echo "$want" >"$stamp"
}

start_echo() {
  local brokers="$1"
  : >"$ECHO_LOG"
  KAFKA_BROKERS="$brokers" nohup "$VENV/bin/python" -u "$ECHO_DIR/echo_service.py" \
    >>"$ECHO_LOG" 2>&1 </dev/null &
  echo $! >"$ECHO_PID_FILE"
  say "echo service started (pid $!, Kafka $brokers, log $ECHO_LOG)"
}

ensure_venv

# --- holdfast ----------------------------------------------------------------------------------

: >"$HOLDFAST_LOG"
if ((embedded)); then
  # The embedded broker's address is known once holdfast logs it; start the echo service then.
  (
    trap - EXIT INT TERM
    for ((i = 0; i < 600; i++)); do
      line="$(grep -m1 -o '"msg":"embedded kafka broker".*' "$HOLDFAST_LOG" 2>/dev/null || true)"
      if [[ -n "$line" ]]; then
        bootstrap="$(sed -n 's/.*"bootstrap":"\([^"]*\)".*/\1/p' <<<"$line")"
        [[ -n "$bootstrap" ]] && start_echo "$bootstrap"
        exit 0
      fi
      sleep 0.2
    done
    warn "holdfast did not log the embedded broker's address; the echo service is not running"
  ) &
  watcher=$!
else
  start_echo "$KAFKA_BROKERS"
fi

client="$VENV/bin/python -m websockets"
cat <<EOF

  holdfast is starting with $CONFIG
    Kafka: $KAFKA_BROKERS   Redis: $REDIS_URL
    logs:  $HOLDFAST_LOG, $ECHO_LOG

  Try, in another terminal (type a line, get it back; Ctrl-D to quit):
    $client ws://127.0.0.1:$HOLDFAST_PORT/kafka/echo
    $client ws://127.0.0.1:$HOLDFAST_PORT/redis/echo
    $client ws://127.0.0.1:$HOLDFAST_PORT/rooms/lobby     (a chat room: open two)

  Ctrl-C here stops holdfast and everything started with it.

EOF

set +e
"$BIN" -c "$CONFIG" 2>&1 | tee -i "$HOLDFAST_LOG"
status="${PIPESTATUS[0]}"
set -e
say "holdfast exited with status $status"
exit "$status"
