#include "proxy/bus/kafka_replies.h"

#include <chrono>

#include "proxy/log.h"

namespace holdfast {
namespace {

constexpr auto kRediscover = std::chrono::seconds(10);
constexpr auto kRetry = std::chrono::milliseconds(500);
constexpr int kBlockingCallMs = 5000;

}  // namespace

KafkaReplies::KafkaReplies(uv_loop_t* loop, std::string brokers, const config::KafkaBus& cfg,
                           std::string instance, std::vector<std::string> topics, Stats& stats,
                           OnRecord on_record)
    : loop_(loop),
      brokers_(std::move(brokers)),
      cfg_(cfg),
      instance_(std::move(instance)),
      topics_(std::move(topics)),
      stats_(stats),
      kafka_stats_(stats.kafka),
      on_record_(std::move(on_record)),
      known_(topics_.size()) {}

KafkaReplies::~KafkaReplies() {
  stop();
}

bool KafkaReplies::start(std::string& error) {
  const config::Properties defaults = {
      {"client.id", "holdfast-" + instance_ + "-replies"},
      // Never joined or committed: every instance reads whole topics by assignment.
      {"group.id", "holdfast-" + instance_ + "-replies"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"allow.auto.create.topics", "true"},
      {"fetch.wait.max.ms", "10"},
      {"fetch.error.backoff.ms", "50"},
      {"statistics.interval.ms", kKafkaStatsIntervalMs},
  };
  rd_kafka_conf_t* conf = make_kafka_conf(brokers_, defaults, cfg_.consumer, error);
  if (conf == nullptr) return false;
  route_kafka_logs(conf);
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_stats_cb(conf, &KafkaReplies::on_stats);
  char errstr[512];
  rk_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr));
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    error = errstr;
    return false;
  }
  rd_kafka_poll_set_consumer(rk_.get());
  queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
  wakeup_ = std::make_unique<KafkaWakeup>(loop_, queue_.get(), [this] { serve(); });
  if (topics_.empty()) assigned_ = true;
  discover_thread_ = std::thread([this] { discover(); });
  return true;
}

void KafkaReplies::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (discover_thread_.joinable()) discover_thread_.join();
  if (wakeup_) wakeup_->close();
  if (rk_) rd_kafka_consumer_close(rk_.get());
  queue_.reset();
  rk_.reset();
}

void KafkaReplies::serve() {
  while (rd_kafka_message_t* msg = rd_kafka_consume_queue(queue_.get(), 0)) {
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      on_record_(*msg);
    } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      stats_.bus_errors[static_cast<size_t>(BusError::KafkaConsume)].inc();
      log::warn("kafka reply consumer error",
                {{"component", "kafka"}, {"error", rd_kafka_message_errstr(msg)}});
    }
    rd_kafka_message_destroy(msg);
  }
}

// The main queue is forwarded to the consumer queue, so rd_kafka_consume_queue() in serve()
// runs this on the loop.
int KafkaReplies::on_stats(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<KafkaReplies*>(opaque)->kafka_stats_.on_stats(std::string_view(json, len));
  return 0;  // librdkafka frees the text
}

// Runs on its own thread: finds partitions (new topics, added partitions) and positions each
// new one at its current end, then sleeps. Blocking metadata calls stay off the loop.
void KafkaReplies::discover() {
  for (;;) {
    const bool all = assign_new_partitions();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock,
                 all ? std::chrono::duration_cast<std::chrono::milliseconds>(kRediscover) : kRetry,
                 [this] { return stop_; });
    if (stop_) return;
  }
}

bool KafkaReplies::assign_new_partitions() {
  bool complete = true;
  bool answered = false;
  rd_kafka_topic_partition_list_t* fresh = rd_kafka_topic_partition_list_new(8);
  for (size_t t = 0; t < topics_.size(); ++t) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), topics_[t].c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, rkt, &md, kBlockingCallMs);
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      complete = false;
      continue;
    }
    answered = true;
    int partitions = 0;
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      partitions = md->topics[0].partition_cnt;
    }
    rd_kafka_metadata_destroy(md);
    if (partitions == 0) {
      complete = false;  // not created yet; asking again creates it where the broker allows
      continue;
    }
    auto& known = known_[t];
    if (known.size() < static_cast<size_t>(partitions)) known.resize(partitions, false);
    for (int p = 0; p < partitions; ++p) {
      if (known[p]) continue;
      int64_t low = 0, high = 0;
      err = rd_kafka_query_watermark_offsets(rk_.get(), topics_[t].c_str(), p, &low, &high,
                                             kBlockingCallMs);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        complete = false;
        continue;
      }
      rd_kafka_topic_partition_list_add(fresh, topics_[t].c_str(), p)->offset = high;
      known[p] = true;
    }
  }
  if (fresh->cnt > 0) {
    rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_.get(), fresh);
    if (e != nullptr) {
      log::error("kafka reply assignment failed",
                 {{"component", "kafka"}, {"error", rd_kafka_error_string(e)}});
      rd_kafka_error_destroy(e);
      complete = false;
    } else {
      log::info("reply partitions assigned", {{"component", "kafka"}, {"partitions", fresh->cnt}});
    }
  }
  rd_kafka_topic_partition_list_destroy(fresh);
  if (topics_.empty()) {
    const rd_kafka_metadata_t* md = nullptr;
    answered = rd_kafka_metadata(rk_.get(), 0, nullptr, &md, kBlockingCallMs) ==
               RD_KAFKA_RESP_ERR_NO_ERROR;
    if (answered) rd_kafka_metadata_destroy(md);
  }
  reachable_ = answered;
  if (complete) assigned_ = true;
  return complete;
}

}  // namespace holdfast
