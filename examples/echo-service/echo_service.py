#!/usr/bin/env python3
"""An upstream echo service for holdfast, written the way any backend team would write one.

It uses the stock confluent-kafka and redis clients and knows only holdfast's message contract:

Kafka
    Consumes the topic ``echo.requests`` in the consumer group ``echo-service``. For every record
    whose ``ce_type`` header is ``io.holdfast.message`` it produces the record's value to the topic
    named by the ``kafka_replyTopic`` header, copying the ``kafka_correlationId`` and
    ``content-type`` headers. holdfast delivers the reply to the connection that the correlation id
    names. Connect and disconnect events are ignored.

Redis
    Reads the stream ``echo:requests`` with the consumer group ``echo-service``. For every entry
    whose ``type`` field is ``io.holdfast.message`` it PUBLISHes the ``data`` field to the channel
    named by the ``replyto`` field, then acknowledges the entry.

Environment
    KAFKA_BROKERS       bootstrap servers (127.0.0.1:9092); "off" disables Kafka
    REDIS_URL           redis://host:port/db (redis://127.0.0.1:6379); "off" disables Redis
    ECHO_KAFKA_TOPIC    request topic (echo.requests)
    ECHO_REDIS_STREAM   request stream (echo:requests)
    ECHO_GROUP          consumer group for both buses (echo-service)

Either bus may be down; the service keeps retrying until it comes up. SIGTERM or SIGINT stops it.
"""

import logging
import os
import signal
import socket
import sys
import threading
import time

import redis
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

MESSAGE_TYPE = "io.holdfast.message"

KAFKA_BROKERS = os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
KAFKA_TOPIC = os.environ.get("ECHO_KAFKA_TOPIC", "echo.requests")
REDIS_STREAM = os.environ.get("ECHO_REDIS_STREAM", "echo:requests")
GROUP = os.environ.get("ECHO_GROUP", "echo-service")
CONSUMER_NAME = f"{socket.gethostname()}-{GROUP}"

log = logging.getLogger("echo-service")
stop = threading.Event()


class Throttle(logging.Filter):
    """Lets the same message through once per interval, so an unreachable bus does not flood."""

    def __init__(self, interval=30.0):
        super().__init__()
        self.interval = interval
        self.last = {}

    def filter(self, record):
        key = (record.name, record.getMessage())
        now = time.monotonic()
        if now - self.last.get(key, -self.interval) < self.interval:
            return False
        self.last[key] = now
        return True


def header(headers, name):
    """The first value of a Kafka header, or None."""
    for key, value in headers or ():
        if key == name:
            return value
    return None


def backoff(attempt):
    return min(0.5 * (2 ** attempt), 10.0)


# ---------------------------------------------------------------------------------------------
# Kafka


def kafka_loop():
    kafka_log = logging.getLogger("echo-service.kafka")
    attempt = 0
    while not stop.is_set():
        consumer = producer = None
        try:
            common = {
                "bootstrap.servers": KAFKA_BROKERS,
                "logger": kafka_log,
                "log.connection.close": False,
                "error_cb": lambda err: kafka_log.warning("kafka: %s", err),
            }
            consumer = Consumer(
                {
                    **common,
                    "group.id": GROUP,
                    "auto.offset.reset": "earliest",
                    "allow.auto.create.topics": True,
                    "topic.metadata.refresh.interval.ms": 5000,
                }
            )
            producer = Producer({**common, "linger.ms": 1})
            ensure_topic(common, kafka_log)
            consumer.subscribe([KAFKA_TOPIC])
            attempt = 0
            while not stop.is_set():
                producer.poll(0)
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                if msg.error():
                    err = msg.error()
                    if err.fatal():
                        raise KafkaException(err)
                    if err.code() != KafkaError._PARTITION_EOF:
                        kafka_log.warning("kafka: %s", err)
                    continue
                headers = msg.headers()
                ce_type = header(headers, "ce_type")
                if ce_type is None or ce_type.decode("utf-8", "replace") != MESSAGE_TYPE:
                    continue
                reply_topic = header(headers, "kafka_replyTopic")
                if not reply_topic:
                    kafka_log.warning("kafka: record without kafka_replyTopic skipped")
                    continue
                reply_headers = []
                for name in ("kafka_correlationId", "content-type"):
                    value = header(headers, name)
                    if value is not None:
                        reply_headers.append((name, value))
                # The request's key (the connection, by default) keeps one connection's replies
                # on one partition, and so in order.
                key = msg.key() if msg.key() is not None else header(headers, "kafka_correlationId")
                produce(producer, reply_topic.decode("utf-8"), msg.value(), key, reply_headers)
        except Exception as exc:  # noqa: BLE001 - any failure means: rebuild the clients
            if stop.is_set():
                break
            kafka_log.warning("kafka: %s; reconnecting", exc)
            stop.wait(backoff(attempt))
            attempt += 1
        finally:
            if producer is not None:
                producer.flush(5)
            if consumer is not None:
                try:
                    consumer.close()
                except Exception:  # noqa: BLE001
                    pass


def ensure_topic(config, kafka_log):
    """Creates the request topic with the broker's defaults if it does not exist yet, so that the
    first requests are not waiting for a metadata refresh. Failing here is not fatal."""
    try:
        admin = AdminClient({k: v for k, v in config.items() if k != "error_cb"})
        future = admin.create_topics([NewTopic(KAFKA_TOPIC)], request_timeout=10)[KAFKA_TOPIC]
        deadline = time.monotonic() + 15
        while not future.done():
            if stop.is_set() or time.monotonic() > deadline:
                future.cancel()
                return
            admin.poll(0.2)
        future.result()
        kafka_log.info("kafka: created topic %s", KAFKA_TOPIC)
    except KafkaException as exc:
        err = exc.args[0] if exc.args else None
        if not (isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS):
            kafka_log.warning("kafka: could not create topic %s: %s", KAFKA_TOPIC, exc)
    except Exception as exc:  # noqa: BLE001
        kafka_log.warning("kafka: could not create topic %s: %s", KAFKA_TOPIC, exc)


def produce(producer, topic, value, key, headers):
    while True:
        try:
            producer.produce(topic, value=value, key=key, headers=headers, on_delivery=delivered)
            return
        except BufferError:
            producer.poll(0.1)  # the local queue is full: let deliveries drain


def delivered(err, msg):
    if err is not None:
        logging.getLogger("echo-service.kafka").warning(
            "kafka: reply to %s not delivered: %s", msg.topic(), err
        )


# ---------------------------------------------------------------------------------------------
# Redis


def redis_loop():
    redis_log = logging.getLogger("echo-service.redis")
    attempt = 0
    while not stop.is_set():
        client = None
        try:
            client = redis.Redis.from_url(
                REDIS_URL, socket_connect_timeout=5, socket_keepalive=True, health_check_interval=30
            )
            ensure_group(client)
            attempt = 0
            # First our own entries that were read but not acknowledged before a restart, then
            # new ones.
            next_id = "0"
            while not stop.is_set():
                reply = client.xreadgroup(
                    GROUP, CONSUMER_NAME, {REDIS_STREAM: next_id}, count=100, block=1000
                )
                entries = reply[0][1] if reply else []
                if next_id == "0" and not entries:
                    next_id = ">"
                    continue
                if not entries:
                    continue
                pipe = client.pipeline(transaction=False)
                ids = []
                for entry_id, fields in entries:
                    ids.append(entry_id)
                    if not fields or fields.get(b"type") != MESSAGE_TYPE.encode():
                        continue
                    channel = fields.get(b"replyto")
                    if not channel:
                        redis_log.warning("redis: entry without replyto skipped")
                        continue
                    pipe.publish(channel, fields.get(b"data", b""))
                pipe.xack(REDIS_STREAM, GROUP, *ids)
                pipe.execute()
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                continue  # the stream was deleted: create it and the group again
            redis_log.warning("redis: %s; reconnecting", exc)
            stop.wait(backoff(attempt))
            attempt += 1
        except Exception as exc:  # noqa: BLE001 - any failure means: reconnect
            if stop.is_set():
                break
            redis_log.warning("redis: %s; reconnecting", exc)
            stop.wait(backoff(attempt))
            attempt += 1
        finally:
            if client is not None:
                client.close()


def ensure_group(client):
    try:
        client.xgroup_create(REDIS_STREAM, GROUP, id="$", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


# ---------------------------------------------------------------------------------------------


def main():
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(Throttle())
    logging.basicConfig(level=logging.INFO, handlers=[handler])

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threads = []
    if KAFKA_BROKERS.lower() != "off":
        threads.append(threading.Thread(target=kafka_loop, name="kafka", daemon=True))
    if REDIS_URL.lower() != "off":
        threads.append(threading.Thread(target=redis_loop, name="redis", daemon=True))
    log.info(
        "echo-service started: kafka %s topic %s, redis %s stream %s, group %s",
        KAFKA_BROKERS,
        KAFKA_TOPIC,
        REDIS_URL,
        REDIS_STREAM,
        GROUP,
    )
    for t in threads:
        t.start()
    while not stop.wait(0.5):
        pass
    deadline = time.monotonic() + 8
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    log.info("echo-service stopped")
    if any(t.is_alive() for t in threads):
        # A client still waits on an unreachable bus; nothing is left to flush.
        logging.shutdown()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
