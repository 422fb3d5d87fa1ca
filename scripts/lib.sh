# Helpers shared by the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables below are for the scripts that source this file

# The repository root, from this file's location.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Runtime state (data, logs, pid files, the Python venv). Ignored by git.
VAR_DIR="${HOLDFAST_VAR:-$REPO/var}"
# Downloads that outlive a `make clean` and a fresh clone: the Kafka jars.
CACHE_DIR="${HOLDFAST_CACHE:-${HOME:-/tmp}/.cache/holdfast}"

_hf_name="$(basename "$0")"
_hf_name="${_hf_name%.sh}"

say() { printf '[%s] %s\n' "$_hf_name" "$*"; }
warn() { printf '[%s] warning: %s\n' "$_hf_name" "$*" >&2; }
die() {
  printf '[%s] error: %s\n' "$_hf_name" "$*" >&2
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") >/dev/null 2>&1
}

# pid_alive PID [PATTERN]: true when PID runs and, if given, its command line contains PATTERN.
# The pattern guards against a pid file that outlived its process and a pid that was reused.
pid_alive() {
  local pid="$1" pattern="${2:-}"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -z "$pattern" ]] && return 0
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$pattern"* ]]
}

# read_pid FILE: the pid in FILE, or nothing.
read_pid() {
  if [[ -f "$1" ]]; then
    tr -dc '0-9' <"$1" || true
  fi
}

# stop_pid PID PATTERN NAME TIMEOUT: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_pid() {
  local pid="$1" pattern="$2" name="$3" timeout="$4" waited=0
  pid_alive "$pid" "$pattern" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid" "$pattern"; do
    if ((waited >= timeout * 10)); then
      warn "$name (pid $pid) did not stop within ${timeout}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# with_lock FILE: take an exclusive lock for the rest of this process, so that two starts or a
# start and a stop of the same service do not race.
with_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  if have flock; then
    flock 9
  fi
}

# as_root CMD...: run CMD as root, through sudo when not root.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif have sudo; then
    sudo "$@"
  else
    die "need root to run: $* (sudo is not installed)"
  fi
}
