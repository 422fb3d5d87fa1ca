#include "proxy/bus/kafka_common.h"

#include <fcntl.h>
#include <unistd.h>

#include <string_view>

#include "proxy/log.h"

namespace holdfast {

rd_kafka_conf_t* make_kafka_conf(const std::string& brokers, const config::Properties& defaults,
                                 const config::Properties& overrides, std::string& error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      error = "kafka property '" + k + "': " + err;
      return false;
    }
    return true;
  };
  bool ok = set("bootstrap.servers", brokers);
  for (const auto& [k, v] : defaults)
    ok = ok && set(k, v);
  for (const auto& [k, v] : overrides)
    ok = ok && set(k, v);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  return conf;
}

void route_kafka_logs(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t* rk, int level, const char* fac,
                                    const char* buf) {
    const auto fields = {log::Field("component", "kafka"), log::Field("client", rd_kafka_name(rk)),
                         log::Field("facility", fac), log::Field("detail", std::string_view(buf))};
    if (level <= 3) {
      log::write(log::Level::Error, "librdkafka", fields);
    } else if (level <= 5) {
      if (log::enabled(log::Level::Warn)) log::write(log::Level::Warn, "librdkafka", fields);
    } else if (log::enabled(log::Level::Debug)) {
      log::write(log::Level::Debug, "librdkafka", fields);
    }
  });
}

KafkaWakeup::KafkaWakeup(uv_loop_t* loop, rd_kafka_queue_t* queue, std::function<void()> on_ready)
    : queue_(queue), on_ready_(std::move(on_ready)) {
  if (::pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0) {
    fds_[0] = fds_[1] = -1;
    return;
  }
  rd_kafka_queue_io_event_enable(queue, fds_[1], "1", 1);
  poll_ = new uv_poll_t;
  uv_poll_init(loop, poll_, fds_[0]);
  poll_->data = this;
  uv_poll_start(poll_, UV_READABLE, &KafkaWakeup::on_poll);
}

void KafkaWakeup::on_poll(uv_poll_t* p, int status, int) {
  auto* self = static_cast<KafkaWakeup*>(p->data);
  if (status < 0 || self == nullptr) return;
  char buf[256];
  while (::read(self->fds_[0], buf, sizeof buf) > 0) {
  }
  self->on_ready_();
}

void KafkaWakeup::close() {
  if (poll_ == nullptr) return;
  rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
  uv_poll_stop(poll_);
  poll_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
}

KafkaWakeup::~KafkaWakeup() {
  close();
  if (fds_[0] >= 0) ::close(fds_[0]);
  if (fds_[1] >= 0) ::close(fds_[1]);
}

}  // namespace holdfast
