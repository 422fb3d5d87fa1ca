#include "proxy/bus/kafka_producer.h"

#include "proxy/log.h"

namespace holdfast {
namespace {

// Safety net for a missed wake-up; delivery reports normally arrive through the pipe.
constexpr uint64_t kPollIntervalMs = 100;

BusResult classify(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return BusResult::Ok;
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      return BusResult::Timeout;
    default:
      return BusResult::Rejected;
  }
}

}  // namespace

std::unique_ptr<KafkaProducer> KafkaProducer::create(uv_loop_t* loop, const std::string& brokers,
                                                     const config::KafkaBus& cfg,
                                                     const std::string& instance, unsigned worker,
                                                     BusAckSink& sink, Stats& stats,
                                                     std::string& error) {
  std::unique_ptr<KafkaProducer> p(new KafkaProducer(sink, stats));
  // Idempotence needs acks=all, so an operator who lowers acks gets a producer without it
  // rather than a refusal to start.
  bool lowered_acks = false;
  for (const auto& [k, v] : cfg.producer) {
    if (k == "acks" || k == "request.required.acks") lowered_acks = v != "all" && v != "-1";
  }
  const config::Properties defaults = {
      {"client.id", "holdfast-" + instance + "-w" + std::to_string(worker)},
      {"acks", "all"},
      {"enable.idempotence", lowered_acks ? "false" : "true"},
      {"linger.ms",
       "5"},  // librdkafka's own default: at 1 ms, tiny batches cost 3-4x the CPU per message
      {"queue.buffering.max.kbytes", "1048576"},
      {"queue.buffering.max.messages", "1000000"},
      {"message.timeout.ms", "300000"},
      {"socket.nagle.disable", "true"},
      {"statistics.interval.ms", kKafkaStatsIntervalMs},
  };
  rd_kafka_conf_t* conf = make_kafka_conf(brokers, defaults, cfg.producer, error);
  if (conf == nullptr) return nullptr;
  route_kafka_logs(conf);
  rd_kafka_conf_set_opaque(conf, p.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaProducer::on_delivery);
  rd_kafka_conf_set_stats_cb(conf, &KafkaProducer::on_stats);
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t* rk, int err, const char* reason, void*) {
    log::warn("kafka producer error",
              {{"component", "kafka"},
               {"client", rd_kafka_name(rk)},
               {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
               {"reason", reason}});
  });
  char errstr[512];
  p->rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr));
  if (!p->rk_) {
    rd_kafka_conf_destroy(conf);
    error = errstr;
    return nullptr;
  }
  p->main_queue_.reset(rd_kafka_queue_get_main(p->rk_.get()));
  KafkaProducer* self = p.get();
  p->wakeup_ = std::make_unique<KafkaWakeup>(loop, p->main_queue_.get(), [self] { self->serve(); });
  p->timer_ = new uv_timer_t;
  uv_timer_init(loop, p->timer_);
  p->timer_->data = self;
  uv_timer_start(p->timer_, &KafkaProducer::on_timer, kPollIntervalMs, kPollIntervalMs);
  return p;
}

KafkaProducer::~KafkaProducer() {
  close();
  for (auto& [name, rkt] : topics_)
    rd_kafka_topic_destroy(rkt);
  topics_.clear();
  main_queue_.reset();
  rk_.reset();
}

void KafkaProducer::close() {
  if (wakeup_) wakeup_->close();
  if (timer_ != nullptr) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

void KafkaProducer::on_timer(uv_timer_t* t) {
  static_cast<KafkaProducer*>(t->data)->serve();
}

void KafkaProducer::serve() {
  while (rd_kafka_poll(rk_.get(), 0) > 0) {
  }
}

rd_kafka_topic_t* KafkaProducer::topic(std::string_view name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), std::string(name).c_str(), nullptr);
  if (rkt != nullptr) topics_.emplace(std::string(name), rkt);
  return rkt;
}

BusStatus KafkaProducer::produce(const BusTarget& target, const contract::Event& ev,
                                 uint64_t handle, EventScratch& scratch) {
  rd_kafka_topic_t* rkt = topic(target.name);
  if (rkt == nullptr) {
    stats_.bus_errors[static_cast<size_t>(BusError::KafkaProduce)].inc();
    return BusStatus::Failed;
  }
  rd_kafka_headers_t* headers = rd_kafka_headers_new(16);
  contract::for_each_attribute(ev, scratch.attrs, [&](const contract::Attribute& a) {
    rd_kafka_header_add(headers, a.kafka_name.data(), static_cast<ssize_t>(a.kafka_name.size()),
                        a.value.data(), static_cast<ssize_t>(a.value.size()));
  });
  const void* key = target.has_key ? target.key.data() : nullptr;
  const size_t key_len = target.has_key ? target.key.size() : 0;
  void* value = ev.data.empty() ? nullptr : const_cast<char*>(ev.data.data());
  const rd_kafka_resp_err_t err =
      rd_kafka_producev(rk_.get(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_VALUE(value, ev.data.size()), RD_KAFKA_V_KEY(key, key_len),
                        RD_KAFKA_V_HEADERS(headers),
                        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(handle)), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return BusStatus::Accepted;
  rd_kafka_headers_destroy(headers);
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return BusStatus::Busy;
  stats_.bus_errors[static_cast<size_t>(BusError::KafkaProduce)].inc();
  log::warn("kafka produce failed",
            {{"component", "kafka"}, {"topic", target.name}, {"error", rd_kafka_err2str(err)}});
  return BusStatus::Failed;
}

void KafkaProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  const BusResult result = classify(msg->err);
  if (result == BusResult::Ok) {
    const int64_t micros = rd_kafka_message_latency(msg);
    if (micros >= 0) self->stats_.kafka_publish.observe(static_cast<double>(micros) / 1e6);
  }
  if (result != BusResult::Ok) {
    self->stats_.bus_errors[static_cast<size_t>(BusError::KafkaDelivery)].inc();
    log::warn("kafka delivery failed", {{"component", "kafka"},
                                        {"topic", rd_kafka_topic_name(msg->rkt)},
                                        {"error", rd_kafka_err2str(msg->err)}});
  }
  const auto handle = reinterpret_cast<uint64_t>(msg->_private);
  if (handle != 0) self->sink_.on_ack(handle, msg->len, result);
}

// Served by rd_kafka_poll(), on this worker's loop, like the delivery reports.
int KafkaProducer::on_stats(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<KafkaProducer*>(opaque)->kafka_stats_.on_stats(std::string_view(json, len));
  return 0;  // librdkafka frees the text
}

void KafkaProducer::flush(std::chrono::milliseconds timeout) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::error("kafka flush incomplete",
               {{"component", "kafka"}, {"unsent", rd_kafka_outq_len(rk_.get())}});
  }
}

}  // namespace holdfast
