// hf-bus-echo: the benchmark's backend service, unmodified holdfast user code in miniature. It
// reads every message a route publishes and answers it with the same bytes, addressed back to
// the connection as docs/contract.md says:
//
//   hf-bus-echo kafka BROKERS IN_TOPIC REPLY_TOPIC
//     consumes IN_TOPIC (every partition, from its end) and produces each value to REPLY_TOPIC
//     with kafka_correlationId = the record's ce_connectionid, keyed by it so that one
//     connection's replies stay in one partition and in order.
//   hf-bus-echo redis ADDRESS IN_STREAM
//     reads IN_STREAM with XREAD from its end and PUBLISHes each entry's `data` to its `replyto`
//     channel, pipelined per batch.
//
// It runs until SIGTERM and then prints {"echoed":N} on stdout.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bus.h"

namespace {

using namespace hfbench::bus;

int EchoKafka(const std::string& brokers, const std::string& in, const std::string& out) {
  rd_kafka_t* consumer = NewTailConsumer(brokers, in);
  rd_kafka_t* producer = NewProducer(brokers, /*idempotent=*/false);
  uint64_t echoed = 0, failed = 0;
  std::fprintf(stderr, "hf-bus-echo: kafka %s -> %s\n", in.c_str(), out.c_str());
  while (!g_stop) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 5);
    rd_kafka_poll(producer, 0);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string_view conn = Header(m, "ce_connectionid");
      const std::string_view value(static_cast<const char*>(m->payload), m->len);
      if (!conn.empty() && Produce(producer, out, conn, value, {{"kafka_correlationId", conn}})) {
        ++echoed;
      } else {
        ++failed;
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_flush(producer, 5000);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_destroy(producer);
  std::printf("{\"echoed\":%lu,\"failed\":%lu}\n", static_cast<unsigned long>(echoed),
              static_cast<unsigned long>(failed));
  return 0;
}

// The value of field `name` in a stream entry's field list, or null.
const redisReply* Field(const redisReply* fields, const char* name) {
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    const redisReply* k = fields->element[i];
    if (k->type == REDIS_REPLY_STRING && std::strcmp(k->str, name) == 0)
      return fields->element[i + 1];
  }
  return nullptr;
}

int EchoRedis(const std::string& address, const std::string& stream) {
  redisContext* reader = ConnectRedis(address);
  redisContext* writer = ConnectRedis(address);
  // Start after the stream's newest entry; "$" on every call would skip what arrives between.
  std::string last = "0-0";
  if (auto* top = static_cast<redisReply*>(
          redisCommand(reader, "XREVRANGE %b + - COUNT 1", stream.data(), stream.size()))) {
    if (top->type == REDIS_REPLY_ARRAY && top->elements == 1)
      last.assign(top->element[0]->element[0]->str, top->element[0]->element[0]->len);
    freeReplyObject(top);
  }
  uint64_t echoed = 0, failed = 0;
  std::fprintf(stderr, "hf-bus-echo: redis stream %s\n", stream.c_str());
  while (!g_stop) {
    auto* r = static_cast<redisReply*>(
        redisCommand(reader, "XREAD COUNT 1024 BLOCK 100 STREAMS %b %b", stream.data(),
                     stream.size(), last.data(), last.size()));
    if (r == nullptr) return 1;
    size_t pending = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
      const redisReply* entries = r->element[0]->element[1];
      for (size_t i = 0; i < entries->elements; ++i) {
        const redisReply* entry = entries->element[i];
        last.assign(entry->element[0]->str, entry->element[0]->len);
        const redisReply* data = Field(entry->element[1], "data");
        const redisReply* reply_to = Field(entry->element[1], "replyto");
        if (data == nullptr || reply_to == nullptr) {
          ++failed;
          continue;
        }
        redisAppendCommand(writer, "PUBLISH %b %b", reply_to->str, reply_to->len, data->str,
                           data->len);
        ++pending;
      }
    }
    freeReplyObject(r);
    for (; pending > 0; --pending) {
      void* reply = nullptr;
      if (redisGetReply(writer, &reply) != REDIS_OK) return 1;
      freeReplyObject(reply);
      ++echoed;
    }
  }
  std::printf("{\"echoed\":%lu,\"failed\":%lu}\n", static_cast<unsigned long>(echoed),
              static_cast<unsigned long>(failed));
  redisFree(reader);
  redisFree(writer);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  HandleStopSignals();
  if (argc == 5 && std::strcmp(argv[1], "kafka") == 0) return EchoKafka(argv[2], argv[3], argv[4]);
  if (argc == 4 && std::strcmp(argv[1], "redis") == 0) return EchoRedis(argv[2], argv[3]);
  std::fputs(
      "usage: hf-bus-echo kafka BROKERS IN_TOPIC REPLY_TOPIC\n"
      "       hf-bus-echo redis ADDRESS IN_STREAM\n",
      stderr);
  return 2;
}
