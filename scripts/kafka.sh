#!/usr/bin/env bash
# A single-node Apache Kafka broker in KRaft mode on 127.0.0.1, for development and tests.
#
#   scripts/kafka.sh start                 start it (or confirm it runs) and wait until it serves metadata
#   scripts/kafka.sh stop                  stop it (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT)
#   scripts/kafka.sh status                exit 0 when it runs, 3 when it does not
#   scripts/kafka.sh create-topics T...    create topics if they do not exist (KAFKA_PARTITIONS, 3)
#   scripts/kafka.sh logs                  follow the broker log
#   scripts/kafka.sh reset                 stop it and delete its data
#
# The jars come from Maven Central through scripts/kafka/pom.xml and are cached in
# $HOLDFAST_CACHE (default ~/.cache/holdfast), so only the first start runs Maven.
# Data, logs and the pid file live in var/kafka; the JVM's GC pauses go to var/kafka/logs/gc.log
# (the benchmarks read them to tell the broker's stalls from the proxy's).
#
# Environment:
#   KAFKA_BROKERS            when set, an existing broker is used: start and stop do nothing
#   KAFKA_PORT               client port (9092)
#   KAFKA_CONTROLLER_PORT    KRaft controller port (KAFKA_PORT + 1)
#   KAFKA_HEAP_OPTS          JVM heap ("-Xms128m -Xmx512m")
#   KAFKA_GC_OPTS            JVM collector settings ("-XX:+UseSerialGC", below)
#   KAFKA_START_TIMEOUT      seconds from launch to readiness (90), not counting the first Maven run
#   KAFKA_STOP_TIMEOUT       seconds to wait after SIGTERM (30)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
# One collector thread. Kafka's own scripts set G1, whose young pauses run on as many threads as
# there are cores; on a 2-core machine whose other processes are busy, or pinned to a core, one of
# those threads waits for the other, and pauses of 10 ms stretch to 70 to 200 ms. The serial
# collector's pauses stay at 10 to 25 ms there, with a heap this small (bench/history.md, the
# run published in 6e930df).
KAFKA_GC_OPTS="${KAFKA_GC_OPTS:--XX:+UseSerialGC}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
HOST=127.0.0.1

POM="$REPO/scripts/kafka/pom.xml"
VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)"
[[ -n "$VERSION" ]] || die "cannot read <kafka.version> from $POM"
HOME_DIR="$CACHE_DIR/kafka-$VERSION"
LIBS="$HOME_DIR/libs"

RUN_DIR="$VAR_DIR/kafka"
DATA_DIR="$RUN_DIR/data"
LOG_DIR="$RUN_DIR/logs"
PID_FILE="$RUN_DIR/kafka.pid"
SERVER_PROPS="$RUN_DIR/server.properties"
PID_PATTERN="kafka.Kafka $SERVER_PROPS"

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA="${JAVA:-java}"
fi

need_java() {
  have "$JAVA" || die "java not found; run scripts/deps.sh (or set KAFKA_BROKERS to use another broker)"
}

pom_digest() { sha256sum "$POM" | cut -d' ' -f1; }

# The jars, resolved once per pom.xml. A partial download never counts as complete: Maven writes
# into a temporary folder that is renamed at the end.
ensure_libs() {
  local stamp="$HOME_DIR/pom.sha256" digest
  digest="$(pom_digest)"
  if [[ -d "$LIBS" && -f "$stamp" && "$(cat "$stamp")" == "$digest" ]]; then
    return 0
  fi
  have mvn || die "mvn not found; run scripts/deps.sh"
  say "resolving Apache Kafka $VERSION jars with Maven into $LIBS (first start only)"
  mkdir -p "$HOME_DIR"
  local tmp="$HOME_DIR/libs.tmp.$$"
  rm -rf "$tmp"
  if ! mvn -B -q -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$tmp" >"$HOME_DIR/mvn.log" 2>&1; then
    tail -n 40 "$HOME_DIR/mvn.log" >&2 || true
    rm -rf "$tmp"
    die "Maven could not resolve the Kafka jars (log: $HOME_DIR/mvn.log)"
  fi
  ls "$tmp"/kafka_2.13-"$VERSION".jar >/dev/null 2>&1 || die "kafka_2.13-$VERSION.jar missing after Maven run"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  echo "$digest" >"$stamp"
}

write_config() {
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  cat >"$SERVER_PROPS" <<EOF
# Written by scripts/kafka.sh; rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR

auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0

# A development broker: keep little data and few threads.
log.retention.ms=3600000
log.retention.bytes=268435456
log.segment.bytes=16777216
log.retention.check.interval.ms=60000
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
EOF
  cat >"$RUN_DIR/log4j.properties" <<'EOF'
# The broker logs to var/kafka/logs/server.log, not to the terminal.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
  cat >"$RUN_DIR/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka=ERROR
EOF
  cat >"$RUN_DIR/tools.properties" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

# Runs a Kafka command-line tool: tool MAIN_CLASS ARGS...
tool() {
  local main="$1"
  shift
  "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$RUN_DIR/tools-log4j.properties" \
    -cp "$LIBS/*" "$main" "$@"
}

random_cluster_id() {
  # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding.
  head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

format_storage() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  local id
  id="$(random_cluster_id)"
  say "formatting storage in $DATA_DIR (cluster id $id)"
  if ! tool kafka.tools.StorageTool format -t "$id" -c "$SERVER_PROPS" >"$LOG_DIR/format.log" 2>&1; then
    cat "$LOG_DIR/format.log" >&2
    die "kafka-storage format failed"
  fi
}

running_pid() {
  local pid
  pid="$(read_pid "$PID_FILE")"
  if [[ -n "$pid" ]] && pid_alive "$pid" "$PID_PATTERN"; then
    echo "$pid"
  fi
}

fail_start() {
  local pid="$1" why="$2"
  printf '[kafka] error: %s\n' "$why" >&2
  printf '[kafka] last lines of %s:\n' "$LOG_DIR/server.log" >&2
  tail -n 40 "$LOG_DIR/server.log" >&2 2>/dev/null || true
  if [[ -s "$LOG_DIR/kafka.out" ]]; then
    printf '[kafka] last lines of %s:\n' "$LOG_DIR/kafka.out" >&2
    tail -n 20 "$LOG_DIR/kafka.out" >&2 || true
  fi
  if [[ -n "$pid" ]]; then
    stop_pid "$pid" "$PID_PATTERN" kafka 10
    rm -f "$PID_FILE"
  fi
  exit 1
}

# Ready means: the process lives, the port accepts, and an admin client gets the topic list
# (a metadata round trip through the broker and the KRaft controller).
wait_ready() {
  local pid="$1" started="$2"
  local deadline=$((started + KAFKA_START_TIMEOUT))
  while :; do
    pid_alive "$pid" "$PID_PATTERN" || fail_start "" "the broker exited during startup"
    if port_open "$HOST" "$KAFKA_PORT"; then
      if tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" \
        --command-config "$RUN_DIR/tools.properties" --list >/dev/null 2>&1; then
        return 0
      fi
    fi
    if (($(date +%s) >= deadline)); then
      fail_start "$pid" "the broker was not ready within ${KAFKA_START_TIMEOUT}s"
    fi
    sleep 1
  done
}

cmd_start() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    say "KAFKA_BROKERS=$KAFKA_BROKERS is set: using that broker, not starting one"
    return 0
  fi
  need_java
  with_lock "$RUN_DIR/.lock"
  local started pid
  started="$(date +%s)"
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    wait_ready "$pid" "$started"
    say "already running (pid $pid) on $HOST:$KAFKA_PORT"
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open "$HOST" "$KAFKA_PORT"; then
    die "$HOST:$KAFKA_PORT is in use by another process; stop it, pick another KAFKA_PORT, or set KAFKA_BROKERS=$HOST:$KAFKA_PORT to use it"
  fi
  if port_open "$HOST" "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $HOST:$KAFKA_CONTROLLER_PORT is in use; set KAFKA_CONTROLLER_PORT to a free port"
  fi
  ensure_libs
  write_config
  format_storage
  # setsid: the broker outlives this script and ignores the terminal's Ctrl-C; `stop` ends it.
  # The inner shell writes its own pid, which exec hands to the JVM. fd 9 (the lock) is closed.
  # shellcheck disable=SC2086,SC2016
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_GC_OPTS -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Xlog:gc,gc+cpu:file="$LOG_DIR/gc.log":timemillis:filecount=2,filesize=10m \
    -Dkafka.logs.dir="$LOG_DIR" -Dlog4j.configuration="file:$RUN_DIR/log4j.properties" \
    -cp "$LIBS/*" kafka.Kafka "$SERVER_PROPS" \
    >"$LOG_DIR/kafka.out" 2>&1 </dev/null 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    pid="$(read_pid "$PID_FILE")"
    [[ -n "$pid" ]] && break
    sleep 0.1
  done
  [[ -n "$pid" ]] || fail_start "" "the broker process did not start"
  # Interrupted before it is ready: do not leave a half-started broker behind.
  trap 'stop_pid "$pid" "$PID_PATTERN" kafka 10; rm -f "$PID_FILE"; exit 130' INT TERM
  say "started Apache Kafka $VERSION (pid $pid); waiting for $HOST:$KAFKA_PORT"
  wait_ready "$pid" "$(date +%s)"
  trap - INT TERM
  say "ready on $HOST:$KAFKA_PORT, $(($(date +%s) - started))s after start (logs: $LOG_DIR/server.log)"
}

cmd_stop() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    say "KAFKA_BROKERS=$KAFKA_BROKERS is set: that broker is not ours to stop"
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
  stop_pid "$pid" "$PID_PATTERN" kafka "$KAFKA_STOP_TIMEOUT"
  rm -f "$PID_FILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    say "using KAFKA_BROKERS=$KAFKA_BROKERS"
    return 0
  fi
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    say "running (pid $pid) on $HOST:$KAFKA_PORT, Apache Kafka $VERSION"
    return 0
  fi
  say "not running"
  return 3
}

cmd_create_topics() {
  (($# > 0)) || die "usage: $0 create-topics TOPIC..."
  need_java
  ensure_libs
  mkdir -p "$RUN_DIR"
  [[ -f "$RUN_DIR/tools.properties" ]] || write_config
  local bootstrap="${KAFKA_BROKERS:-$HOST:$KAFKA_PORT}" t failed=0
  local -A jobs=()
  # One JVM per topic, all at once.
  for t in "$@"; do
    tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
      --command-config "$RUN_DIR/tools.properties" --create --if-not-exists --topic "$t" \
      --partitions "${KAFKA_PARTITIONS:-3}" --replication-factor 1 >/dev/null &
    jobs[$t]=$!
  done
  for t in "$@"; do
    if wait "${jobs[$t]}"; then
      say "topic $t"
    else
      warn "could not create topic $t on $bootstrap"
      failed=1
    fi
  done
  return "$failed"
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR" "$LOG_DIR"
  say "deleted $DATA_DIR and $LOG_DIR"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop && cmd_start ;;
  status) cmd_status ;;
  create-topics) shift && cmd_create_topics "$@" ;;
  logs) exec tail -n 50 -F "$LOG_DIR/server.log" ;;
  reset) cmd_reset ;;
  *)
    echo "usage: $0 start|stop|restart|status|create-topics TOPIC...|logs|reset" >&2
    exit 2
    ;;
esac
