// A worker thread: one libuv loop, one libwebsockets context, its own SO_REUSEPORT listening
// sockets, its own bus producers, and every connection it accepted. Other threads reach it only
// through post() (an MpscQueue plus uv_async_send).
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "proxy/bus/bus.h"
#include "proxy/delivery.h"
#include "proxy/file_shortage.h"
#include "proxy/filter_chain.h"
#include "proxy/frame_pool.h"
#include "proxy/memory_release.h"
#include "proxy/mpsc_queue.h"
#include "proxy/read_budget.h"
#include "proxy/receive_page.h"
#include "proxy/runtime.h"
#include "proxy/session.h"
#include "proxy/stats.h"
#include "proxy/util/block_pool.h"
#include "proxy/util/id_index.h"
#include "proxy/util/ids.h"
#include "proxy/write_batch.h"

struct lws_context;
struct lws_vhost;

namespace holdfast {

class KafkaProducer;
class RedisPublisher;
class RedisSubscriber;

class Worker final : public BusAckSink, public filters::Host {
 public:
  Worker(unsigned index, const Runtime& runtime);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Creates the loop, the lws context and the bus clients; false (with a log line) on failure.
  // Called on the main thread before start().
  bool init();
  void start();
  void join();

  // Any thread.
  void post(Delivery* d);
  // Deliveries this worker is done with, cleared, for the main loop to reuse; see ReplyRouter.
  MpscQueue& spent() { return spent_; }
  void request_drain();
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  bool bus_ready() const;
  const Stats& stats() const { return stats_; }
  size_t connections() const { return connections_.load(std::memory_order_relaxed); }

  // The worker thread only, from sessions and the lws callback.
  unsigned index() const { return index_; }
  const Runtime& runtime() const { return runtime_; }
  EventScratch& scratch() { return scratch_; }
  // A session that queued its first message this loop turn: written once the turn's I/O is done.
  void flush_later(const Session& s);
  WriteBatch& write_batch() { return write_batch_; }
  // Counts a frame read from `s`; true when it used up the connection's share of this loop turn
  // (read_budget.h), and the session must stop reading until the turn's end.
  bool spend_read_budget(const Session& s) { return read_budget_.spend(s.handle()); }
  // The first page of a session's receive buffer, looked at on each tick.
  void set_receive_page(const Session& s, ReceivePage page);
  FramePool& frames() { return frames_; }
  // The time, read once per loop turn: for idle and keepalive bookkeeping, where a turn's length
  // does not matter and a clock read for every message does (three per echoed message).
  Clock::time_point turn_now() {
    if (turn_now_ == Clock::time_point{}) turn_now_ = Clock::now();
    return turn_now_;
  }

  // filters::Host
  uv_loop_t* loop() override { return &loop_; }
  unsigned worker_index() const override { return index_; }
  Stats& stats() override { return stats_; }
  void resume(const filters::Pending& pending, const filters::Rejection* rejection) override;
  void count(size_t filter_type, uint8_t decision) override {
    stats_.filter_decision(filter_type, decision).inc();
  }
  util::IdGenerator& ids() { return ids_; }

  // The answer to an upgrade request: a session, or an HTTP refusal.
  struct Upgrade {
    Session* session = nullptr;
    HttpRefusal refusal;  // when session is null; status 0 means "no route" (404)
  };
  Upgrade on_upgrade(lws* wsi, size_t listener);
  void on_open(Session& s);  // established and admitted by the filters
  void on_closed(Session& s);
  void forget(Session* s);  // deletes it

  BusStatus publish(const BusTarget& target, const contract::Event& ev, uint64_t handle);
  void add_stalled(Session& s);

  bool join_channel(Session& s, const std::string& channel);
  bool leave_channel(Session& s, const std::string& channel);

  // BusAckSink
  void on_ack(uint64_t handle, size_t bytes, BusResult result) override;
  Clock::time_point now() override { return turn_now(); }

 private:
  static void on_accept(uv_poll_t* poll, int status, int events);
  static void on_inbox(uv_async_t* async);
  static void on_tick(uv_timer_t* timer);
  static void on_retry(uv_timer_t* timer);
  static void on_flush(uv_check_t* check);
  void run();
  void set_accepting(bool on);  // starts or stops every listener's accept poll
  void accept_from(size_t listener);
  void on_file_shortage(int listen_fd);
  void warn_file_shortage();
  void handle(Delivery& d);
  void on_redis_message(std::string_view channel, std::string_view payload);
  using Index = std::unordered_map<std::string, std::vector<Session*>>;
  void deliver_to_members(Index& index, Delivery& d);
  void deliver_to(Session& s, Delivery& d);
  void tick();
  void drain_step();
  void finish();
  Session* by_handle(uint64_t handle);
  uint64_t add_slot(Session* s);
  bool make_bindings();
  void apply(std::shared_ptr<const RouteTable> table);

  const unsigned index_;
  const Runtime& runtime_;
  FramePool frames_;  // first: the last member destroyed, after everything that holds its frames
  // Sessions are made in blocks of their exact size, on pages of their own (block_pool.h).
  util::BlockPool sessions_{sizeof(Session), alignof(Session)};
  Stats stats_;
  util::IdGenerator ids_;
  EventScratch scratch_;
  uv_loop_t loop_{};
  uv_async_t inbox_async_{};
  uv_timer_t tick_timer_{};
  uv_timer_t retry_timer_{};
  // Sessions with messages queued this turn, flushed after the turn's I/O callbacks; the idle
  // handle runs only while some wait, so that a turn started by a timer does not block in poll.
  uv_check_t flush_check_{};
  uv_idle_t flush_idle_{};
  std::vector<uint64_t> to_flush_;  // handles
  ReadBudget read_budget_;  // connections that used their turn's share are read again at its end
  // turn_now()'s time, cleared before the loop polls and after the turn's writes, so that timers
  // and I/O callbacks each read the clock afresh.
  Clock::time_point turn_now_{};
  uv_prepare_t turn_prepare_{};
  MemoryRelease memory_release_;  // after bursts of connections opening or closing
  WriteBatch write_batch_;
  std::vector<std::unique_ptr<uv_poll_t>> accept_polls_;
  std::vector<size_t> accept_listener_;  // accept_polls_[i] serves this listener
  lws_context* context_ = nullptr;       // until libwebsockets has freed it (ws::create_context)
  std::vector<lws_vhost*> vhosts_;       // by listener
  std::unique_ptr<KafkaProducer> kafka_;
  std::unique_ptr<RedisPublisher> redis_;
  std::unique_ptr<RedisSubscriber> redis_sub_;
  Delivery redis_in_;  // each Redis message is read into this one, reusing its strings
  std::shared_ptr<const RouteTable> table_;  // routes for new connections
  std::vector<RouteRef> bindings_;           // by route of table_
  MpscQueue inbox_;
  MpscQueue spent_;
  std::thread thread_;

  // Connections: by slot (for bus acknowledgements), by id, by user and by channel.
  std::vector<Session*> slots_;
  std::vector<uint32_t> generations_;
  std::vector<uint32_t> free_slots_;
  // By slot, from the first session whose receive buffer has a page of its own (none when
  // libwebsockets keeps its own allocator): kept here rather than in Session, whose size is what
  // every idle connection costs. A slot's entry is cleared when the slot is freed, and a closed
  // session's is never read (Session::between_frames).
  std::vector<ReceivePage> receive_pages_;
  util::IdIndex<Session> by_id_{slots_};
  Index by_user_;
  Index by_channel_;
  std::vector<uint64_t> stalled_;  // handles of sessions whose message waits for the bus

  std::atomic<bool> drain_requested_{false};
  std::atomic<bool> finished_{false};
  std::atomic<size_t> connections_{0};
  bool draining_ = false;
  bool accept_paused_ = false;  // out of file descriptors with no spare: until the next tick
  FileShortage file_shortage_;
  bool closing_clients_ = false;
  Clock::time_point drain_deadline_{};
  Clock::time_point close_deadline_{};
  Clock::time_point last_tick_{};
};

}  // namespace holdfast
