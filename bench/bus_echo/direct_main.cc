// hf-bus-direct: the same bus round trip as a holdfast route, without holdfast. It sends to the
// route's inbound topic or stream as holdfast would (the same headers or fields, for 100 made-up
// connection ids, round robin, as hf-load's 100 connections), through hf-bus-echo, and reads the
// replies itself, so its latency is the floor that holdfast's added latency is measured against.
//
//   hf-bus-direct kafka BROKERS IN_TOPIC REPLY_TOPIC RATE SECONDS WARMUP SIZE [plain]
//   hf-bus-direct redis ADDRESS IN_STREAM RATE SECONDS WARMUP SIZE [MAXLEN]
//
// Each record carries the attributes holdfast writes (docs/contract.md), with values of the same
// shape and length, so the bus and the echo service move and parse the same bytes either way.
// MAXLEN trims the stream as a route's `maxlen` does.
//
// Open loop: message k is due at start + k / RATE and carries that time, so a late send is
// charged, not hidden. Every reply is checked: in order, none missing or repeated, each byte as
// sent. Prints one JSON line in hf-load's shape; exits 1, with no figures, when anything was lost,
// reordered, repeated or damaged.
// Its Kafka producer is idempotent, as holdfast's is by default; `plain` turns that off, to pair
// with a holdfast whose `buses.kafka.producer` sets `enable.idempotence: false`.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "../common/histogram.h"
#include "../common/self_test.h"
#include "../common/sequence.h"
#include "../common/ws.h"
#include "bus.h"

namespace {

using namespace hfbench::bus;
using hfbench::NowNs;

constexpr uint64_t kConnections = 100;
// A connection's reply channel is this prefix and its id (docs/contract.md).
constexpr std::string_view kReplyChannelPrefix = "holdfast:conn:";

struct Payload {
  uint64_t seq;  // message k goes to connection k % kConnections
  uint64_t due_ns;
};

// Every message is its Payload followed by this byte up to its size.
constexpr char kFill = 'd';

struct Run {
  uint64_t rate = 0;
  double seconds = 0, warmup = 0;
  size_t size = 0;
  std::string prefix;              // connection i is prefix + i
  std::vector<std::string> conns;  // kConnections ids
  uint64_t start_ns = 0, measure_from = 0, measure_to = 0;
  std::atomic<uint64_t> sent{0};
  std::atomic<bool> sending_done{false};
  // Receiver only.
  std::vector<hfbench::Sequence> order;  // per connection: c's messages are c, c + 100, …
  uint64_t received = 0, measured = 0, reordered = 0, duplicate = 0, corrupt = 0;
  hfbench::Histogram latency;

  // `conn` is the connection the reply was addressed to.
  void OnReply(std::string_view conn, std::string_view value) {
    const uint64_t now = NowNs();
    Payload p;
    if (value.size() != size || value.find_first_not_of(kFill, sizeof p) != std::string::npos) {
      ++corrupt;
      return;
    }
    std::memcpy(&p, value.data(), sizeof p);
    const uint64_t c = p.seq % kConnections;
    if (conn != conns[c]) {
      ++corrupt;
      return;
    }
    ++received;
    switch (order[c].Take(p.seq)) {
      case hfbench::Sequence::Verdict::kRepeat:
        ++duplicate;
        return;
      case hfbench::Sequence::Verdict::kLate:
        ++reordered;
        return;
      case hfbench::Sequence::Verdict::kInOrder:
        break;
    }
    if (p.due_ns >= measure_from && p.due_ns < measure_to) {
      ++measured;
      latency.Record(now - p.due_ns);
    }
  }
};

// Sleeps until `due` on NowNs's clock: the sender waits between messages as hf-load does. A sender
// that spins keeps its core from ever idling, which gives the direct trip a tighter tail than a
// client that sleeps, like hf-load in the runs through holdfast, could see (bench/README.md).
void SleepUntil(uint64_t due) {
  const timespec at{static_cast<time_t>(due / 1000000000u), static_cast<long>(due % 1000000000u)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR && !g_stop) {
  }
}

// Sends on schedule until the end; `send` writes one payload to a connection, and `flush` runs
// whenever the next message is not yet due.
template <typename Send, typename Flush>
void SendLoop(Run& run, Send send, Flush flush) {
  std::string buf(run.size, kFill);
  const double interval = 1e9 / static_cast<double>(run.rate);
  const uint64_t end = run.measure_to;
  for (uint64_t k = 0;; ++k) {
    const uint64_t due = run.start_ns + static_cast<uint64_t>(static_cast<double>(k) * interval);
    if (due >= end || g_stop) break;
    if (NowNs() < due) {
      if (!flush()) break;
      SleepUntil(due);
    }
    const Payload p{k, due};
    std::memcpy(buf.data(), &p, sizeof p);
    if (!send(run.conns[k % kConnections], buf)) break;
    run.sent.fetch_add(1, std::memory_order_relaxed);
  }
  flush();
  run.sending_done = true;
}

int Report(Run& run) {
  const uint64_t sent = run.sent.load();
  // Skipped and never come, and sent after the last that came.
  uint64_t missing = 0;
  for (const hfbench::Sequence& s : run.order) {
    missing += s.missing();
    if (s.next() < sent) missing += (sent - s.next() + kConnections - 1) / kConnections;
  }
  const bool ok = missing == 0 && run.reordered == 0 && run.duplicate == 0 && run.corrupt == 0 &&
                  run.measured > 0;
  const double secs = static_cast<double>(run.measure_to - run.measure_from) / 1e9;
  std::printf(
      "{\"ok\":%s,\"mode\":\"open\",\"rate_target\":%lu,\"size\":%zu,\"sent\":%lu,"
      "\"received\":%lu,\"missing\":%lu,\"reordered\":%lu,\"duplicate\":%lu,\"corrupt\":%lu",
      ok ? "true" : "false", static_cast<unsigned long>(run.rate), run.size,
      static_cast<unsigned long>(sent), static_cast<unsigned long>(run.received),
      static_cast<unsigned long>(missing), static_cast<unsigned long>(run.reordered),
      static_cast<unsigned long>(run.duplicate), static_cast<unsigned long>(run.corrupt));
  if (ok) {
    auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    std::printf(
        ",\"messages\":%lu,\"msgs_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
        "\"p999_us\":%.1f,\"max_us\":%.1f",
        static_cast<unsigned long>(run.measured), static_cast<double>(run.measured) / secs,
        us(run.latency.Quantile(0.5)), us(run.latency.Quantile(0.99)),
        us(run.latency.Quantile(0.999)), us(run.latency.max()));
  }
  std::printf("}\n");
  if (!ok)
    std::fprintf(
        stderr, "hf-bus-direct: FAILED: %lu missing, %lu reordered, %lu repeated, %lu corrupt\n",
        static_cast<unsigned long>(missing), static_cast<unsigned long>(run.reordered),
        static_cast<unsigned long>(run.duplicate), static_cast<unsigned long>(run.corrupt));
  return ok ? 0 : 1;
}

void Schedule(Run& run) {
  run.start_ns = NowNs() + 200000000;  // 200 ms to settle
  run.measure_from = run.start_ns + static_cast<uint64_t>(run.warmup * 1e9);
  run.measure_to = run.measure_from + static_cast<uint64_t>(run.seconds * 1e9);
}

// Receives until every sent message is back, or 3 s after sending stopped.
template <typename Receive>
void ReceiveLoop(Run& run, Receive receive_one) {
  uint64_t quiet_since = 0;
  while (true) {
    const bool got = receive_one();
    if (run.sending_done) {
      if (run.received >= run.sent.load()) break;
      const uint64_t now = NowNs();
      if (!got && quiet_since == 0) quiet_since = now;
      if (got) quiet_since = 0;
      if (quiet_since != 0 && now - quiet_since > 3000000000ull) break;
    }
  }
}

// The contract's attributes for one message of a bench route, as holdfast writes them: Kafka
// headers, or a stream entry's fields after `data`.
class ContractFields {
 public:
  ContractFields(bool kafka, std::string route, std::string reply_topic)
      : kafka_(kafka),
        source_("/holdfast/bench/" + std::move(route)),
        reply_topic_(std::move(reply_topic)) {
    char t[32];
    const time_t now = time(nullptr);
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S.000Z", gmtime(&now));
    time_ = t;
  }

  // Valid until the next call.
  const std::vector<Field>& For(const std::string& conn, uint64_t seq, std::string_view data) {
    id_.assign(conn).append(1, '-').append(std::to_string(seq));
    static constexpr std::string_view kTrace =
        "00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01";
    if (kafka_) {
      fields_ = {{"ce_specversion", "1.0"},
                 {"ce_id", id_},
                 {"ce_source", source_},
                 {"ce_type", "io.holdfast.message"},
                 {"ce_time", time_},
                 {"content-type", "application/octet-stream"},
                 {"ce_connectionid", conn},
                 {"kafka_replyTopic", reply_topic_},
                 {"kafka_correlationId", conn},
                 {"traceparent", kTrace}};
    } else {
      replyto_.assign(kReplyChannelPrefix).append(conn);
      fields_ = {{"data", data},
                 {"specversion", "1.0"},
                 {"id", id_},
                 {"source", source_},
                 {"type", "io.holdfast.message"},
                 {"time", time_},
                 {"datacontenttype", "application/octet-stream"},
                 {"connectionid", conn},
                 {"replyto", replyto_},
                 {"correlationid", conn},
                 {"traceparent", kTrace}};
    }
    return fields_;
  }

 private:
  bool kafka_;
  std::string source_, reply_topic_, time_, id_, replyto_;
  std::vector<Field> fields_;
};

int DirectKafka(Run& run, const std::string& brokers, const std::string& in, const std::string& out,
                bool idempotent) {
  rd_kafka_t* consumer = NewTailConsumer(brokers, out);
  rd_kafka_t* producer = NewProducer(brokers, idempotent);
  sleep(2);  // let the consumer's assignment reach the end offsets before anything is sent
  Schedule(run);
  std::thread sender([&] {
    ContractFields fields(true, "kafka-rt", out);
    uint64_t seq = 0;
    SendLoop(
        run,
        [&](const std::string& conn, const std::string& b) {
          return Produce(producer, in, conn, b, fields.For(conn, ++seq, b));
        },
        [&] {
          rd_kafka_poll(producer, 0);
          return true;
        });
    rd_kafka_flush(producer, 5000);
  });
  ReceiveLoop(run, [&] {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 1);
    if (m == nullptr) return false;
    const std::string_view conn = Header(m, "kafka_correlationId");
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && conn.substr(0, run.prefix.size()) == run.prefix)
      run.OnReply(conn, {static_cast<const char*>(m->payload), m->len});
    rd_kafka_message_destroy(m);
    return true;
  });
  sender.join();
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_destroy(producer);
  return Report(run);
}

// Reads the answers to `pending` pipelined commands.
bool Drain(redisContext* c, size_t& pending) {
  for (; pending > 0; --pending) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK) return false;
    freeReplyObject(r);
  }
  return true;
}

int DirectRedis(Run& run, const std::string& address, const std::string& stream,
                const std::string& maxlen) {
  redisContext* sub = ConnectRedis(address);
  redisContext* pub = ConnectRedis(address);
  for (const std::string& conn : run.conns) {
    const std::string channel = std::string(kReplyChannelPrefix) + conn;
    freeReplyObject(redisCommand(sub, "SUBSCRIBE %b", channel.data(), channel.size()));
  }
  const timeval tv{0, 100000};
  redisSetTimeout(sub, tv);
  Schedule(run);
  std::thread sender([&] {
    size_t pending = 0;  // XADDs written and not yet answered: pipelined as holdfast does
    ContractFields fields(false, "redis-rt", "");
    uint64_t seq = 0;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    auto arg = [&](std::string_view a) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    };
    SendLoop(
        run,
        [&](const std::string& conn, const std::string& b) {
          argv.clear();
          lens.clear();
          arg("XADD");
          arg(stream);
          if (maxlen != "0") {
            arg("MAXLEN");
            arg("~");
            arg(maxlen);
          }
          arg("*");
          for (const Field& f : fields.For(conn, ++seq, b)) {
            arg(f.name);
            arg(f.value);
          }
          redisAppendCommandArgv(pub, static_cast<int>(argv.size()), argv.data(), lens.data());
          return ++pending < 1024 || Drain(pub, pending);
        },
        [&] { return Drain(pub, pending); });
  });
  ReceiveLoop(run, [&] {
    void* r = nullptr;
    if (redisGetReply(sub, &r) != REDIS_OK) {
      sub->err = 0;  // a read timeout; the context stays usable
      return false;
    }
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
      const std::string_view channel(reply->element[1]->str, reply->element[1]->len);
      run.OnReply(channel.substr(kReplyChannelPrefix.size()),
                  {reply->element[2]->str, reply->element[2]->len});
    }
    freeReplyObject(reply);
    return true;
  });
  sender.join();
  redisFree(sub);
  redisFree(pub);
  return Report(run);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--self-test") == 0) return hfbench::SelfTest(argv[0]);
  HandleStopSignals();
  Run run;
  run.prefix = "direct-" + std::to_string(getpid()) + "-";
  for (uint64_t i = 0; i < kConnections; ++i) {
    run.conns.push_back(run.prefix + std::to_string(i));
    run.order.emplace_back(i, kConnections);
  }
  const bool plain = argc == 10 && std::strcmp(argv[9], "plain") == 0;
  const bool kafka = (argc == 9 || plain) && std::strcmp(argv[1], "kafka") == 0;
  const bool redis = (argc == 8 || argc == 9) && std::strcmp(argv[1], "redis") == 0;
  if (kafka || redis) {
    const int a = kafka ? 5 : 4;
    run.rate = std::strtoull(argv[a], nullptr, 10);
    run.seconds = std::atof(argv[a + 1]);
    run.warmup = std::atof(argv[a + 2]);
    run.size = std::max<size_t>(std::strtoull(argv[a + 3], nullptr, 10), sizeof(Payload));
  }
  if ((kafka || redis) && run.rate > 0 && run.seconds > 0) {
    return kafka ? DirectKafka(run, argv[2], argv[3], argv[4], !plain)
                 : DirectRedis(run, argv[2], argv[3], argc == 9 ? argv[8] : "0");
  }
  std::fputs(
      "usage: hf-bus-direct kafka BROKERS IN_TOPIC REPLY_TOPIC RATE SECONDS WARMUP SIZE [plain]\n"
      "       hf-bus-direct redis ADDRESS IN_STREAM RATE SECONDS WARMUP SIZE [MAXLEN]\n"
      "       hf-bus-direct --self-test\n",
      stderr);
  return 2;
}
