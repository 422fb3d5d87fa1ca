#!/usr/bin/env bash
# Runs the benchmark scenarios and writes bench/results/<UTC date>.md with its plots.
#
#   bench/run.sh quick   every scenario, short runs (under 2 minutes)
#   bench/run.sh full    every scenario, full length (under about 15 minutes)
#   BENCH_ONLY=echo bench/run.sh quick   only the scenarios whose file name matches the pattern
#
# Scenarios are bench/scenarios/NN-name.sh, run in file-name order; each records JSON lines that
# bench/reports/NN-name.py turns into its section of the page (see bench/lib.sh). Every server
# listens on loopback only and is stopped before its scenario ends.
set -euo pipefail

MODE=${1:-quick}
case "$MODE" in
  quick | full) ;;
  *) echo "usage: $0 [quick|full]" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export MODE ROOT
export BUILD_DIR=${BUILD_DIR:-build}
export BENCH_BUILD=${BENCH_BUILD:-$ROOT/build-bench}
export PORT=${BENCH_PORT:-18700}
export HOLDFAST=$ROOT/$BUILD_DIR/holdfast LOAD=$BENCH_BUILD/hf-load

cd "$ROOT"
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  scripts/build.sh holdfast
fi
cmake --build "$BUILD_DIR" --target holdfast >/dev/null
cmake -S bench -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BENCH_BUILD" >/dev/null

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export RAW=$WORK/raw.jsonl
: >"$RAW"

STARTED=$(date -u +%s)
echo "run.sh: $MODE run" >&2
FAILED=()
for script in bench/scenarios/*.sh; do
  name=$(basename "$script" .sh)
  if [[ -n "${BENCH_ONLY:-}" && ! "$name" =~ $BENCH_ONLY ]]; then continue; fi
  echo "run.sh: scenario $name" >&2
  t0=$(date -u +%s)
  "$script" || FAILED+=("$name")
  echo "run.sh: scenario $name took $(($(date -u +%s) - t0)) s" >&2
done

OUT=bench/results/$(date -u +%Y-%m-%d).md
HOLDFAST_VERSION=$("$HOLDFAST" --version) LWS_VERSION=$(pkg-config --modversion libwebsockets) \
  ELAPSED=$(($(date -u +%s) - STARTED)) /usr/bin/python3 bench/report.py "$RAW" "$MODE" "$OUT"
echo "run.sh: wrote $OUT in $(($(date -u +%s) - STARTED)) s" >&2
if [[ ${#FAILED[@]} -ne 0 ]]; then
  echo "run.sh: these scenarios had a run that failed its checks: ${FAILED[*]}; see $OUT" >&2
  exit 1
fi
