#include "tests/support/kafka_client.h"

#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

#include "tests/support/env.h"

namespace holdfast::test {
namespace {

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka config ") + key + ": " + err);
  }
}

KafkaHandle make_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("rd_kafka_new: ") + err);
  }
  return KafkaHandle(rk);
}

rd_kafka_conf_t* base_conf() {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", kafka_brokers());
  set(conf, "log_level", "3");
  return conf;
}

std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n, '0');
  for (char& c : out)
    c = kHex[rng() & 0xF];
  return out;
}

// The partition count of `topic` once every partition has a leader; 0 until then.
int ready_partitions(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int count = 0;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = md->topics[0].partition_cnt;
      for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
        if (md->topics[0].partitions[i].leader < 0) count = 0;
      }
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(rkt);
  return count;
}

void create_topics_with(rd_kafka_t* rk, const std::vector<std::string>& topics, int partitions,
                        Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<rd_kafka_NewTopic_t*> news;
  char err[512];
  for (const auto& t : topics) {
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.c_str(), partitions, 1, err, sizeof err);
    if (nt == nullptr) throw std::runtime_error("NewTopic " + t + ": " + err);
    news.push_back(nt);
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, news.data(), news.size(), nullptr, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, millis_left(deadline));
  std::string failure;
  if (ev == nullptr) {
    failure = "CreateTopics timed out";
  } else if (const auto* res = rd_kafka_event_CreateTopics_result(ev); res == nullptr) {
    failure = std::string("CreateTopics: ") + rd_kafka_event_error_string(ev);
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; ++i) {
      const auto code = rd_kafka_topic_result_error(results[i]);
      if (code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        failure += std::string(rd_kafka_topic_result_name(results[i])) + ": " +
                   rd_kafka_err2str(code) + "; ";
    }
  }
  if (ev != nullptr) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy_array(news.data(), news.size());
  if (!failure.empty()) throw std::runtime_error(failure);

  for (const auto& t : topics) {
    while (ready_partitions(rk, t) < partitions) {
      if (Clock::now() >= deadline) throw std::runtime_error("topic " + t + " has no leaders");
      std::this_thread::sleep_for(Millis(100));
    }
  }
}

}  // namespace

void KafkaDeleter::operator()(rd_kafka_t* rk) const {
  if (rd_kafka_type(rk) == RD_KAFKA_CONSUMER) rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

std::optional<std::string> KafkaRecord::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

size_t KafkaRecord::header_count(std::string_view name) const {
  size_t n = 0;
  for (const auto& h : headers)
    n += h.first == name ? 1 : 0;
  return n;
}

std::string unique_topic(std::string_view prefix) {
  return std::string(prefix) + "." + random_hex(10);
}

void create_topics(const std::vector<std::string>& topics, int partitions, Millis timeout) {
  KafkaHandle admin = make_handle(RD_KAFKA_PRODUCER, base_conf());
  create_topics_with(admin.get(), topics, partitions, timeout);
}

void delete_topics(const std::vector<std::string>& topics, Millis timeout) {
  if (topics.empty()) return;
  try {
    KafkaHandle admin = make_handle(RD_KAFKA_PRODUCER, base_conf());
    std::vector<rd_kafka_DeleteTopic_t*> dels;
    for (const auto& t : topics)
      dels.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
    rd_kafka_queue_t* queue = rd_kafka_queue_new(admin.get());
    rd_kafka_DeleteTopics(admin.get(), dels.data(), dels.size(), nullptr, queue);
    if (rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count())))
      rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(queue);
    rd_kafka_DeleteTopic_destroy_array(dels.data(), dels.size());
  } catch (const std::exception&) {
    // Cleanup must never fail a test or throw from a destructor.
  }
}

ScopedTopics::ScopedTopics(std::vector<std::string> names, int partitions)
    : names_(std::move(names)) {
  create_topics(names_, partitions);
}

KafkaConsumer::KafkaConsumer(const std::vector<std::string>& topics) {
  rd_kafka_conf_t* conf = base_conf();
  set(conf, "group.id", "holdfast-test-" + random_hex(12));
  set(conf, "enable.auto.commit", "false");
  set(conf, "enable.auto.offset.store", "false");
  set(conf, "enable.partition.eof", "false");
  set(conf, "fetch.wait.max.ms", "20");
  set(conf, "fetch.error.backoff.ms", "50");
  rk_ = make_handle(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(rk_.get());

  constexpr int kPartitions = 3;
  create_topics_with(rk_.get(), topics, kPartitions, Millis(30000));
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(8);
  const auto deadline = Clock::now() + Millis(30000);
  for (const auto& t : topics) {
    const int partitions = ready_partitions(rk_.get(), t);
    for (int p = 0; p < partitions; ++p) {
      int64_t low = 0, high = 0;
      rd_kafka_resp_err_t err;
      while ((err = rd_kafka_query_watermark_offsets(rk_.get(), t.c_str(), p, &low, &high, 5000)) !=
             RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (Clock::now() >= deadline) {
          rd_kafka_topic_partition_list_destroy(list);
          throw std::runtime_error("watermarks of " + t + ": " + rd_kafka_err2str(err));
        }
        std::this_thread::sleep_for(Millis(100));
      }
      rd_kafka_topic_partition_list_add(list, t.c_str(), p)->offset = high;
    }
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(err));
}

std::optional<KafkaRecord> KafkaConsumer::next(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), millis_left(deadline));
    if (m == nullptr) return std::nullopt;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Transient fetch errors are retried by librdkafka; keep waiting.
      rd_kafka_message_destroy(m);
      if (Clock::now() >= deadline) return std::nullopt;
      continue;
    }
    KafkaRecord r;
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key != nullptr) r.key = std::string(static_cast<const char*>(m->key), m->key_len);
    if (m->payload != nullptr) r.value.assign(static_cast<const char*>(m->payload), m->len);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t i = 0;
           rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        r.headers.emplace_back(name, value == nullptr
                                         ? std::string()
                                         : std::string(static_cast<const char*>(value), size));
      }
    }
    rd_kafka_message_destroy(m);
    return r;
  }
}

std::vector<KafkaRecord> KafkaConsumer::take(size_t count, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<KafkaRecord> out;
  while (out.size() < count) {
    auto r = next(Millis(millis_left(deadline)));
    if (!r) break;
    out.push_back(std::move(*r));
  }
  return out;
}

std::optional<KafkaRecord> KafkaConsumer::next_matching(
    const std::function<bool(const KafkaRecord&)>& pred, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto r = next(Millis(millis_left(deadline)));
    if (!r || pred(*r)) return r;
  }
}

KafkaProducer::KafkaProducer() {
  rd_kafka_conf_t* conf = base_conf();
  set(conf, "acks", "all");
  set(conf, "enable.idempotence", "true");
  set(conf, "linger.ms", "1");
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaProducer::on_delivery);
  rd_kafka_conf_set_opaque(conf, this);
  rk_ = make_handle(RD_KAFKA_PRODUCER, conf);
}

void KafkaProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* self = static_cast<KafkaProducer*>(opaque);
  ++self->failed_;
  self->last_error_ = rd_kafka_err2str(msg->err);
}

void KafkaProducer::produce(const std::string& topic, std::string_view value,
                            const Headers& headers, const std::optional<std::string>& key) {
  const auto deadline = Clock::now() + Millis(15000);
  const void* key_data = key ? key->data() : nullptr;
  const size_t key_size = key ? key->size() : 0;
  for (;;) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
    for (const auto& [name, v] : headers)
      rd_kafka_header_add(hdrs, name.data(), static_cast<ssize_t>(name.size()), v.data(),
                          static_cast<ssize_t>(v.size()));
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_KEY(key_data, key_size), RD_KAFKA_V_HEADERS(hdrs),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    rd_kafka_headers_destroy(hdrs);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || Clock::now() >= deadline)
      throw std::runtime_error("produce to " + topic + ": " + rd_kafka_err2str(err));
    rd_kafka_poll(rk_.get(), 10);
  }
}

void KafkaProducer::poll() {
  rd_kafka_poll(rk_.get(), 0);
}

void KafkaProducer::flush(Millis timeout) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("flush: ") + rd_kafka_err2str(err));
  if (failed_ > 0)
    throw std::runtime_error(std::to_string(failed_) + " records failed: " + last_error_);
}

}  // namespace holdfast::test
