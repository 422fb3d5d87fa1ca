#include "proxy/bus/kafka_stats.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "proxy/log.h"
#include "proxy/util/json.h"

namespace holdfast {
namespace {

using util::JsonMember;
using util::JsonObjectReader;
using util::JsonType;

// librdkafka writes integers; a fraction, should one appear, is cut off.
bool read_number(const JsonMember& m, int64_t& out) {
  if (m.type != JsonType::Number) return false;
  if (util::json_to_int(m.value, out)) return true;
  double d = 0;
  const auto [end, ec] = std::from_chars(m.value.data(), m.value.data() + m.value.size(), d);
  if (ec != std::errc() || end != m.value.data() + m.value.size()) return false;
  out = static_cast<int64_t>(d);
  return true;
}

bool read_string(const JsonMember& m, std::string& out) {
  out.clear();
  return m.type == JsonType::String && util::append_json_unescaped(out, m.value);
}

bool read_p99(std::string_view rtt, int64_t& out) {
  JsonObjectReader reader(rtt);
  JsonMember m;
  while (reader.next(m)) {
    if (m.key == "p99" && !read_number(m, out)) return false;
  }
  return reader.ok();
}

// One member of "brokers". `real` is false for the internal broker (the one that holds
// partitions without a leader) and the logical ones (coordinators), which hand their requests
// to a real broker.
bool read_broker(std::string_view text, KafkaStatsReport::Broker& b, bool& real) {
  JsonObjectReader reader(text);
  JsonMember m;
  std::string source;
  while (reader.next(m)) {
    if (m.key == "nodename") {
      if (!read_string(m, b.nodename)) return false;
    } else if (m.key == "source") {
      if (!read_string(m, source)) return false;
    } else if (m.key == "nodeid") {
      if (!read_number(m, b.nodeid)) return false;
    } else if (m.key == "txerrs") {
      if (!read_number(m, b.tx_errors)) return false;
    } else if (m.key == "rtt") {
      if (m.type != JsonType::Object || !read_p99(m.value, b.rtt_p99_micros)) return false;
    }
  }
  real = source != "internal" && source != "logical" && !b.nodename.empty();
  return reader.ok();
}

bool read_brokers(std::string_view text, std::vector<KafkaStatsReport::Broker>& out) {
  JsonObjectReader reader(text);
  JsonMember m;
  while (reader.next(m)) {
    if (m.type != JsonType::Object) return false;
    KafkaStatsReport::Broker b;
    bool real = false;
    if (!util::append_json_unescaped(b.name, m.key) || !read_broker(m.value, b, real)) return false;
    if (real) out.push_back(std::move(b));
  }
  return reader.ok();
}

}  // namespace

bool parse_kafka_stats(std::string_view json, KafkaStatsReport& out) {
  out = KafkaStatsReport{};
  JsonObjectReader reader(json);
  JsonMember m;
  while (reader.next(m)) {
    if (m.key == "type") {
      out.producer = m.type == JsonType::String && util::json_string_equals(m.value, "producer");
    } else if (m.key == "msg_cnt") {
      if (!read_number(m, out.queue_messages)) return false;
    } else if (m.key == "brokers") {
      if (m.type != JsonType::Object || !read_brokers(m.value, out.brokers)) return false;
    }
  }
  return reader.ok();
}

void KafkaStatsCollector::on_stats(std::string_view json) {
  KafkaStatsReport report;
  if (!parse_kafka_stats(json, report)) {
    if (!warned_) {
      warned_ = true;
      log::warn("kafka statistics unreadable", {{"component", "kafka"}, {"bytes", json.size()}});
    }
    return;
  }
  apply(report);
}

void KafkaStatsCollector::apply(const KafkaStatsReport& report) {
  if (report.producer) out_.set_queue_messages(report.queue_messages);

  // txerrs only grows while a broker exists; one that left and came back starts again at 0.
  uint64_t new_errors = 0;
  for (const auto& b : report.brokers) {
    int64_t& last = tx_errors_[b.name];
    const int64_t added = b.tx_errors >= last ? b.tx_errors - last : b.tx_errors;
    new_errors += static_cast<uint64_t>(std::max<int64_t>(added, 0));
    last = b.tx_errors;
  }
  if (new_errors > 0) out_.add_tx_errors(new_errors);

  // Round trips of the cluster's brokers only: a bootstrap entry (nodeid -1) stands for one of
  // them, perhaps under another name, and goes idle once the cluster is known. Brokers that
  // share a host:port take the slower one's; a broker missing from this report had no requests.
  std::array<int64_t, kKafkaMaxBrokers> rtt{};
  for (const auto& b : report.brokers) {
    if (b.nodeid < 0) continue;
    const size_t slot = out_.broker_slot(b.nodename);
    if (slot < kKafkaMaxBrokers) rtt[slot] = std::max(rtt[slot], b.rtt_p99_micros);
  }
  for (size_t i = 0; i < out_.broker_count(); ++i)
    out_.set_broker_rtt_micros(i, rtt[i]);
}

}  // namespace holdfast
