#!/usr/bin/env bash
# kafka-rt and redis-rt: client -> holdfast -> bus -> hf-bus-echo -> bus -> holdfast -> client.
# For each bus: the closed loop for saturation (and holdfast's CPU per message there), then open
# loops at fixed shares of that rate for latency, and hf-bus-direct at the same rates: the same round trip
# through the same echo service without holdfast, so the difference is what holdfast adds.
# hf-bus-echo's own CPU is recorded to show it is not the bottleneck, and so are the broker's GC
# pauses during each Kafka run, which decide its tail more than anything else here. Kafka and
# Redis are started when they are not running, and stopped again only then.
#
# Kafka is measured first; then its echo service stops, and so does the broker when this scenario
# started it, before Redis is measured with a holdfast that has only the Redis route: an idle
# broker and the Kafka clients beside it took 12 to 32% of a core, which a Redis trip does not
# use, from both the run through holdfast and the direct one.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# Open-loop rates as percentages of the closed loop's rate on the same bus. At 50%, the rate of
# the added-latency target, PAIRS alternated pairs of PAIR_DUR seconds each, whose median the
# report takes: one broker GC pause in one run of a single pair decides its p99. SETTLE is the
# pause after holdfast starts and the length of the warm-up after it, BROKER_SETTLE the pause
# after the broker stops.
case "$MODE" in
  quick) DUR=1 WARM=0.5 SHARES="50" PAIRS=1 PAIR_DUR=1 SETTLE=1 BROKER_SETTLE=2 ;;
  *) DUR=5 WARM=2 SHARES="10 25 50" PAIRS=3 PAIR_DUR=6 SETTLE=2 BROKER_SETTLE=5 ;;
esac
CONNS=100 INFLIGHT=10 SIZE=32
KAFKA=127.0.0.1:9092 REDIS=127.0.0.1:6379
IN=bench-rt-in OUT=bench-rt-out
MAXLEN=100000  # the stream is trimmed, as a route in production would trim it

start_buses kafka redis
redis-cli -u "redis://$REDIS" del "$IN" >/dev/null  # what an earlier run left
"$ROOT/scripts/kafka.sh" create-topics "$IN" "$OUT" >&2

# holdfast's config with the route of one bus; `kafka-extra` is added to the Kafka bus's settings.
bus_config() {  # file kafka|redis [kafka-extra]
  {
    cat <<YAML
instance: bench
workers: 1
log: { level: warn }
drain_timeout: 1s
admin: { address: 127.0.0.1:0 }
buses:
YAML
    if [[ $2 == kafka ]]; then
      cat <<YAML
  kafka: { brokers: "$KAFKA"${3:-} }
listeners:
  - address: 127.0.0.1:$PORT
    routes:
      - name: kafka-rt
        path: /kafka
        upstream: { kafka: { topic: $IN, key: connection } }
        replies: { kafka: { topic: $OUT } }
YAML
    else
      cat <<YAML
  redis: { url: "redis://$REDIS" }
listeners:
  - address: 127.0.0.1:$PORT
    routes:
      - name: redis-rt
        path: /redis
        upstream: { redis: { stream: $IN, maxlen: $MAXLEN } }
        replies: { redis: {} }
YAML
    fi
  } >"$1"
}

# Starts holdfast as `server` on `config`, gives its consumers and the echo service's time to
# reach the ends of their topics, and warms the route with a short closed loop, not recorded: a
# broker just started is slow for its first seconds (the JVM compiles as it goes).
start_rt() {  # server config bus
  start_server "$1" "$HOLDFAST" -c "$2"
  sleep "$SETTLE"
  "${LOAD_PIN[@]}" "$LOAD" --port "$PORT" --path "/$3" --connections 20 --closed 10 \
    --duration "$SETTLE" --warmup 0 >/dev/null 2>&1 || true
}

# The broker's GC pauses from `since` (epoch ms) to now, recorded for a Kafka run.
gc_of() {  # bus scenario since-ms
  [[ $1 == kafka ]] || return 0
  record "{\"scenario\":\"kafka-rt-gc\",\"server\":\"broker\",\"exit\":0,\"of\":\"$2\",\"gc\":$(gc_pauses "$3" "$(now_ms)")}"
}

# One open-loop run through holdfast and the same rate through hf-bus-direct, with the echo
# service's CPU and, for Kafka, the broker's GC pauses beside each. The runs are named
# <prefix>-open-<rate><suffix> and <prefix>-direct-<rate><suffix>.
# hf-bus-direct's arguments before the rate and after the size come as two words each, split on
# spaces (no argument here has one).
open_pair() {  # bus name-prefix server echo-pid rate suffix seconds "direct-head" "direct-tail"
  local bus=$1 prefix=$2 server=$3 echo_pid=$4 rate=$5 suffix=$6 dur=$7 e0 t0 out rc=0
  local -a head tail
  read -ra head <<<"$8"
  read -ra tail <<<"${9:-}"
  local run=$prefix-open-$rate$suffix direct=$prefix-direct-$rate$suffix
  e0=$(cpu_ticks "$echo_pid") t0=$(now_ms)
  measure "$run" "$server" --path "/$bus" --size $SIZE --connections $CONNS \
    --rate "$rate" --duration "$dur" --warmup "$WARM" || FAILED=1
  record "{\"scenario\":\"$bus-rt-echo-cpu\",\"server\":\"hf-bus-echo\",\"exit\":0,\"of\":\"$run\",\"cpu_ticks\":$(($(cpu_ticks "$echo_pid") - e0))}"
  gc_of "$bus" "$run" "$t0"
  t0=$(now_ms)
  out=$("${LOAD_PIN[@]}" "$BENCH_BUILD/hf-bus-direct" "${head[@]}" "$rate" "$dur" "$WARM" \
    "$SIZE" "${tail[@]}") || rc=$?
  [[ -n "$out" ]] || out='{}'
  record "{\"scenario\":\"$direct\",\"server\":\"hf-bus-direct\",\"exit\":$rc,\"load\":$out}"
  gc_of "$bus" "$direct" "$t0"
  echo "  $direct: $out" >&2
  [[ $rc -eq 0 ]] || FAILED=1
}

# One bus: the closed loop, then the open loops at each share of its rate, each beside the direct
# trip. Leaves the closed loop's rate in SAT.
run_bus() {  # bus echo-pid "direct-head" "direct-tail"
  local bus=$1 echo_pid=$2 e0 t0 sat share rate i
  e0=$(cpu_ticks "$echo_pid") t0=$(now_ms)
  measure "$bus-rt-closed" holdfast-w1 --path "/$bus" --size $SIZE --connections $CONNS \
    --closed $INFLIGHT --duration "$DUR" --warmup "$WARM" || FAILED=1
  record "{\"scenario\":\"$bus-rt-echo-cpu\",\"server\":\"hf-bus-echo\",\"exit\":0,\"of\":\"$bus-rt-closed\",\"cpu_ticks\":$(($(cpu_ticks "$echo_pid") - e0))}"
  gc_of "$bus" "$bus-rt-closed" "$t0"
  sat=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r["scenario"]==sys.argv[2] and r["exit"]==0: print(int(r["load"]["msgs_per_s"]))' \
    "$RAW" "$bus-rt-closed")
  SAT=${sat:-0}
  for share in $SHARES; do
    rate=$((SAT * share / 100))
    [[ $rate -gt 0 ]] || continue
    if [[ $share == 50 ]]; then
      for ((i = 1; i <= PAIRS; i++)); do
        open_pair "$bus" "$bus-rt" holdfast-w1 "$echo_pid" "$rate" "-pair$i" "$PAIR_DUR" "$3" "$4"
      done
    else
      open_pair "$bus" "$bus-rt" holdfast-w1 "$echo_pid" "$rate" "" "$DUR" "$3" "$4"
    fi
  done
}

FAILED=0
"$BENCH_BUILD/hf-bus-echo" kafka "$KAFKA" "$IN" "$OUT" >"$BENCH_TMP/echo-kafka.json" &
EXTRA_PIDS+=($!)
KAFKA_ECHO=$!
bus_config "$BENCH_TMP/bus-rt-kafka.yaml" kafka
start_rt holdfast-w1 "$BENCH_TMP/bus-rt-kafka.yaml" kafka
run_bus kafka "$KAFKA_ECHO" "kafka $KAFKA $IN $OUT" ""
KAFKA_SAT=$SAT

# Kafka once more at half of saturation, with idempotence off on both sides (full mode).
# librdkafka's idempotent producer waits for a partition's request of five or more messages to be
# answered before sending the next, and meanwhile polls without sleeping for messages queued past
# linger.ms; any acknowledgement slower than that keeps a thread busy, and here the spinning takes
# the CPU the broker needs. This pair shows what holdfast adds to the trip without that.
if [[ $MODE == full && ${KAFKA_SAT:-0} -gt 0 ]]; then
  rate=$((KAFKA_SAT / 2))
  stop_server
  bus_config "$BENCH_TMP/bus-rt-plain.yaml" kafka ", producer: { enable.idempotence: false }"
  start_rt holdfast-w1-plain "$BENCH_TMP/bus-rt-plain.yaml" kafka
  open_pair kafka kafka-rt-plain holdfast-w1-plain "$KAFKA_ECHO" "$rate" "" "$DUR" \
    "kafka $KAFKA $IN $OUT" plain
fi
stop_server

# Redis, with the Kafka side stopped: its echo service, and the broker when this scenario started
# it (one that was running before is left alone, and the settings record says so).
kill -TERM "$KAFKA_ECHO" 2>/dev/null || true
wait "$KAFKA_ECHO" 2>/dev/null || true
BROKER=left-running
if [[ " ${STARTED_BUSES[*]} " == *" kafka "* ]]; then
  "$ROOT/scripts/kafka.sh" stop >&2
  kept=()
  for bus in "${STARTED_BUSES[@]}"; do [[ $bus == kafka ]] || kept+=("$bus"); done
  STARTED_BUSES=("${kept[@]}")
  BROKER=stopped
  sleep "$BROKER_SETTLE"  # the JVM's exit and its last writes settle
fi
"$BENCH_BUILD/hf-bus-echo" redis "$REDIS" "$IN" >"$BENCH_TMP/echo-redis.json" &
EXTRA_PIDS+=($!)
REDIS_ECHO=$!
bus_config "$BENCH_TMP/bus-rt-redis.yaml" redis
start_rt holdfast-w1 "$BENCH_TMP/bus-rt-redis.yaml" redis
run_bus redis "$REDIS_ECHO" "redis $REDIS $IN" "$MAXLEN"
record "{\"scenario\":\"bus-rt-settings\",\"server\":\"-\",\"exit\":0,\"connections\":$CONNS,\"inflight\":$INFLIGHT,\"size\":$SIZE,\"duration\":$DUR,\"warmup\":$WARM,\"shares\":\"$SHARES\",\"pairs\":$PAIRS,\"pair_duration\":$PAIR_DUR,\"maxlen\":$MAXLEN,\"broker_during_redis\":\"$BROKER\"}"
exit $FAILED
