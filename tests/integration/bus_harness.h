// What the bus adapter tests share: a libuv loop of their own that runs until a condition holds
// or a deadline passes, a sink that records acknowledgements, and an event whose attributes are
// owned by the test.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "proxy/bus/bus.h"
#include "proxy/contract.h"
#include "proxy/stats.h"
#include "tests/support/net.h"

namespace holdfast::test::integration {

// One uv loop with a 5 ms tick, so that a single iteration never blocks for long even when the
// adapters have nothing to wait on.
class TestLoop {
 public:
  TestLoop() {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &tick_);
    uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 5, 5);
  }
  ~TestLoop() {
    uv_timer_stop(&tick_);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    // Let the close callbacks of handles the adapters closed run, then close what is left.
    for (int i = 0; i < 100 && uv_loop_alive(&loop_); ++i)
      uv_run(&loop_, UV_RUN_NOWAIT);
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    uv_loop_close(&loop_);
  }
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // Runs the loop until `done()` holds or `timeout` passes; returns the final `done()`.
  bool run_until(const std::function<bool()>& done, Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
      if (Clock::now() >= deadline) return done();
      uv_run(&loop_, UV_RUN_ONCE);
    }
    return true;
  }
  // Runs the loop for `time`, whatever happens.
  void run_for(Millis time) {
    run_until([] { return false; }, time);
  }

 private:
  uv_loop_t loop_;
  uv_timer_t tick_;
};

struct Ack {
  uint64_t handle;
  size_t bytes;
  BusResult result;
};

class RecordingSink final : public BusAckSink {
 public:
  void on_ack(uint64_t handle, size_t bytes, BusResult result) override {
    acks.push_back(Ack{handle, bytes, result});
  }
  size_t count(BusResult result) const {
    size_t n = 0;
    for (const auto& a : acks)
      n += a.result == result ? 1 : 0;
    return n;
  }
  // How many times each handle was acknowledged.
  std::map<uint64_t, int> per_handle() const {
    std::map<uint64_t, int> out;
    for (const auto& a : acks)
      ++out[a.handle];
    return out;
  }
  std::vector<Ack> acks;
};

// The attributes of one event, owned here; event() gives the views the adapters take.
struct TestEvent {
  std::string type{contract::kTypeMessage};
  std::string id = "itestboot0001-0-1-1";
  std::string source = "/holdfast/itest/rooms";
  std::string time = "2026-11-23T19:36:14.123Z";
  std::string content_type{contract::kTextPlain};
  std::string connection_id = "itestboot0001-0-1";
  std::string auth_id;
  std::string reply_to = "rooms.replies";
  std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01";
  std::vector<std::pair<std::string, std::string>> metadata;
  int close_code = 0;
  std::string close_reason;
  std::string data;
  bool binary = false;

  contract::Event event() const {
    contract::Event ev;
    ev.type = type;
    ev.id = id;
    ev.source = source;
    ev.time = time;
    ev.content_type = content_type;
    ev.connection_id = connection_id;
    ev.auth_id = auth_id;
    ev.reply_to = reply_to;
    ev.traceparent = traceparent;
    ev.metadata = metadata.empty() ? nullptr : &metadata;
    ev.close_code = close_code;
    ev.close_reason = close_reason;
    ev.data = data;
    ev.binary = binary;
    return ev;
  }
};

inline uint64_t bus_errors(const Stats& stats, BusError which) {
  return stats.bus_errors[static_cast<size_t>(which)].get();
}

}  // namespace holdfast::test::integration
