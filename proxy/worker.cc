#include "proxy/worker.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "filters/registry.h"
#include "proxy/bus/kafka_producer.h"
#include "proxy/bus/redis_publisher.h"
#include "proxy/bus/redis_subscriber.h"
#include "proxy/file_limit.h"
#include "proxy/log.h"
#include "proxy/reply_router.h"
#include "proxy/subprotocols.h"
#include "proxy/ws_protocol.h"

namespace holdfast {
namespace {

constexpr auto kTick = std::chrono::milliseconds(250);
constexpr auto kRetry = std::chrono::milliseconds(5);

uint64_t make_handle(uint32_t slot, uint32_t gen) {
  return (uint64_t{gen} << 32) | slot;
}

uint32_t slot_of(uint64_t handle) {
  return static_cast<uint32_t>(handle & 0xffffffffu);
}

template <typename Map>
void erase_member(Map& map, const std::string& key, Session* s) {
  auto it = map.find(key);
  if (it == map.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), s), v.end());
  if (v.empty()) map.erase(it);
}

}  // namespace

Worker::Worker(unsigned index, const Runtime& runtime)
    : index_(index),
      runtime_(runtime),
      stats_(kMaxRouteNames),
      ids_(index),
      table_(runtime.table),
      file_shortage_(file_limit()) {
  slots_.push_back(nullptr);  // slot 0 is never used, so handle 0 means "untracked"
  generations_.push_back(0);
}

Worker::~Worker() {
  if (thread_.joinable()) thread_.join();
  while (MpscNode* n = spent_.pop())
    delete static_cast<Delivery*>(n);
}

bool Worker::init() {
  if (uv_loop_init(&loop_) != 0) return false;
  uv_async_init(&loop_, &inbox_async_, &Worker::on_inbox);
  inbox_async_.data = this;
  uv_timer_init(&loop_, &tick_timer_);
  tick_timer_.data = this;
  uv_timer_init(&loop_, &retry_timer_);
  retry_timer_.data = this;
  uv_check_init(&loop_, &flush_check_);
  flush_check_.data = this;
  uv_idle_init(&loop_, &flush_idle_);
  uv_prepare_init(&loop_, &turn_prepare_);
  turn_prepare_.data = this;
  memory_release_.init(&loop_);

  if (!ws::create_context(*this, vhosts_, context_)) return false;
  if (!make_bindings()) return false;

  for (size_t l = 0; l < runtime_.listeners.size(); ++l) {
    auto poll = std::make_unique<uv_poll_t>();
    uv_poll_init(&loop_, poll.get(), runtime_.listeners[l].fds[index_]);
    poll->data = this;
    accept_polls_.push_back(std::move(poll));
    accept_listener_.push_back(l);
  }

  const auto& cfg = *runtime_.config;
  std::string err;
  if (cfg.kafka) {
    kafka_ = KafkaProducer::create(&loop_, runtime_.kafka_brokers, *cfg.kafka, cfg.instance, index_,
                                   *this, stats_, err);
    if (!kafka_) {
      log::error("kafka producer not created", {{"error", err}, {"worker", index_}});
      return false;
    }
  }
  if (cfg.redis) {
    redis_ = std::make_unique<RedisPublisher>(&loop_, *cfg.redis, *this, stats_, index_);
    redis_sub_ = std::make_unique<RedisSubscriber>(
        &loop_, *cfg.redis, stats_, ids_.prefix(),
        [this](std::string_view channel, std::string_view payload) {
          on_redis_message(channel, payload);
        });
  }
  return true;
}

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  set_accepting(true);
  uv_timer_start(&tick_timer_, &Worker::on_tick, kTick.count(), kTick.count());
  uv_check_start(&flush_check_, &Worker::on_flush);
  uv_unref(reinterpret_cast<uv_handle_t*>(&flush_check_));  // it never keeps the loop alive
  uv_prepare_start(&turn_prepare_,
                   [](uv_prepare_t* p) { static_cast<Worker*>(p->data)->turn_now_ = {}; });
  uv_unref(reinterpret_cast<uv_handle_t*>(&turn_prepare_));
  if (redis_) redis_->start();
  if (redis_sub_) redis_sub_->start();
  uv_run(&loop_, UV_RUN_DEFAULT);
  // libwebsockets destroys its context in steps, each after the loop has run. When connections
  // were still closing, finish() started it and the last steps are left for after the loop.
  for (int step = 0; step < 3 && context_ != nullptr; ++step) {
    ws::destroy_context(context_);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  // Every handle is closed; nothing is left to run.
  uv_loop_close(&loop_);
  finished_.store(true, std::memory_order_release);
}

void Worker::post(Delivery* d) {
  inbox_.push(d);
  uv_async_send(&inbox_async_);
}

void Worker::request_drain() {
  drain_requested_.store(true, std::memory_order_release);
  uv_async_send(&inbox_async_);
}

bool Worker::bus_ready() const {
  return (!redis_ || redis_->connected()) && (!redis_sub_ || redis_sub_->subscribed());
}

void Worker::on_accept(uv_poll_t* poll, int status, int) {
  auto* w = static_cast<Worker*>(poll->data);
  if (status < 0) return;
  for (size_t i = 0; i < w->accept_polls_.size(); ++i) {
    if (w->accept_polls_[i].get() == poll) w->accept_from(w->accept_listener_[i]);
  }
}

void Worker::set_accepting(bool on) {
  for (auto& p : accept_polls_) {
    if (on) {
      uv_poll_start(p.get(), UV_READABLE, &Worker::on_accept);
    } else {
      uv_poll_stop(p.get());
    }
  }
}

void Worker::accept_from(size_t listener) {
  const int lfd = runtime_.listeners[listener].fds[index_];
  for (int n = 0; n < 64; ++n) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EMFILE || errno == ENFILE) on_file_shortage(lfd);
      return;
    }
    if (file_shortage_.in_reserve(fd)) {
      file_shortage_.refuse(fd);
      stats_.refused_file_limit.inc();
      warn_file_shortage();
      continue;
    }
    if (!ws::adopt(vhosts_[listener], fd, runtime_.listeners[listener].config->tls.has_value())) {
      log::warn("socket not adopted", {{"worker", index_}});
    }
  }
}

// Out of file descriptors: refuse what waits on this listener with 503, or, with no spare
// descriptor to do that with, stop accepting until the next tick.
void Worker::on_file_shortage(int listen_fd) {
  for (;;) {
    const auto outcome = file_shortage_.refuse_waiting(listen_fd);
    if (outcome == FileShortage::Outcome::kRefused) {
      stats_.refused_file_limit.inc();
      continue;
    }
    if (outcome == FileShortage::Outcome::kNoSpare && !accept_paused_) {
      accept_paused_ = true;
      set_accepting(false);
    }
    break;
  }
  warn_file_shortage();
}

void Worker::warn_file_shortage() {
  uint64_t refused = 0;
  if (file_shortage_.warning_due(uv_now(&loop_), &refused)) {
    log::warn("out of file descriptors: refusing connections with 503",
              {{"worker", index_}, {"refused", refused}, {"file_limit", file_limit()}});
  }
}

namespace {

// The client address: the peer, or with N trusted proxies in front, the Nth address from the
// right of X-Forwarded-For (each proxy appends the address it received from).
std::string client_ip(const std::string& peer, std::string_view forwarded, int hops) {
  if (hops <= 0 || forwarded.empty()) return peer;
  std::vector<std::string_view> parts;
  while (!forwarded.empty()) {
    const size_t comma = forwarded.find(',');
    std::string_view part = forwarded.substr(0, comma);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t'))
      part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t'))
      part.remove_suffix(1);
    parts.push_back(part);
    forwarded = comma == std::string_view::npos ? std::string_view() : forwarded.substr(comma + 1);
  }
  if (parts.size() < static_cast<size_t>(hops) || parts[parts.size() - hops].empty()) return peer;
  return std::string(parts[parts.size() - hops]);
}

}  // namespace

uint64_t Worker::add_slot(Session* s) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(nullptr);
    generations_.push_back(0);
  }
  slots_[slot] = s;
  return make_handle(slot, ++generations_[slot]);
}

Worker::Upgrade Worker::on_upgrade(lws* wsi, size_t listener) {
  if (draining_) return {};
  memory_release_.note(turn_now());
  Session::Init init;
  init.wsi = wsi;
  std::string path = ws::request_path(wsi);
  int route = table_->match(listener, path, init.params);
  if (route < 0) {
    stats_.no_route.inc();
    return {};
  }
  init.binding = bindings_[static_cast<size_t>(route)];
  if (const auto check = check_subprotocols(ws::subprotocols(wsi)); check != SubprotocolCheck::Ok) {
    stats_.route[init.binding->stats_slot]
        .connections[static_cast<size_t>(ConnResult::BadRequest)]
        .inc();
    return {nullptr, subprotocol_refusal(check)};
  }
  init.peer = ws::peer_address(wsi);
  init.traceparent = ws::header(wsi, "traceparent:");
  ws::RequestText text;
  if (!init.binding->chain.empty()) {
    ws::read_request(wsi, text);
    init.client_ip = client_ip(init.peer, text.forwarded_for,
                               runtime_.listeners[listener].config->xff_trusted_hops);
  } else {
    init.client_ip = init.peer;
  }
  auto* s = new (sessions_.allocate()) Session(*this, std::move(init));
  s->set_handle(add_slot(s));
  if (s->chain_empty()) {
    s->admit();
    return {s, {}};
  }
  filters::Request req;
  req.path = path;
  req.query = text.query;
  req.authorization = text.authorization;
  req.origin = text.origin;
  req.cookie = text.cookie;
  req.protocols = text.protocols;
  req.host = text.host;
  req.listener = listener;
  filters::Rejection rejection;
  if (s->start_filters(req, rejection)) return {s, {}};
  // Refused before the upgrade: answered over HTTP, and the session never existed for anyone.
  Upgrade out;
  out.refusal = http_refusal(rejection);
  forget(s);
  return out;
}

bool Worker::make_bindings() {
  std::vector<RouteRef> bindings;
  for (size_t r = 0; r < table_->routes.size(); ++r) {
    std::vector<FilterChain::Entry> entries;
    const auto& specs = table_->routes[r]->filters;
    for (size_t i = 0; i < specs.size(); ++i) {
      const filters::FilterType* type = filters::find_type(specs[i].name);
      const size_t type_index = filters::type_index(*type);
      auto filter = table_->filters[r][i]->for_worker(filters::WorkerEnv{this, type_index});
      if (!filter) {
        log::error(
            "filter not created",
            {{"route", table_->routes[r]->name}, {"filter", specs[i].name}, {"worker", index_}});
        return false;
      }
      entries.push_back({std::move(filter), type_index});
    }
    bindings.emplace_back(new RouteBinding(table_->routes[r], FilterChain(std::move(entries)),
                                           static_cast<uint32_t>(table_->slots[r])));
  }
  bindings_ = std::move(bindings);
  return true;
}

void Worker::apply(std::shared_ptr<const RouteTable> table) {
  auto previous = table_;
  table_ = std::move(table);
  if (!make_bindings()) {
    // The new filters could not be made here: keep serving the routes this worker has.
    table_ = std::move(previous);
    return;
  }
  log::debug("routes replaced", {{"worker", index_}});
  // Listener files cannot change without a restart, so the same paths hold a renewal, if any.
  for (size_t l = 0; l < vhosts_.size() && l < table_->config->listeners.size(); ++l) {
    const auto& tls = table_->config->listeners[l].tls;
    if (!tls) continue;
    std::string error;
    if (!ws::reload_certificate(vhosts_[l], tls->cert, tls->key, error)) {
      log::error("TLS certificate not reloaded",
                 {{"worker", index_}, {"listener", static_cast<uint64_t>(l)}, {"error", error}});
    }
  }
}

void Worker::resume(const filters::Pending& pending, const filters::Rejection* rejection) {
  if (Session* s = by_handle(pending.handle)) s->resume(pending, rejection);
}

void Worker::on_open(Session& s) {
  by_id_.insert(s.id(), slot_of(s.handle()));
  if (!s.user().empty()) by_user_[s.user()].push_back(&s);
  auto& rs = stats_.route[s.stats_slot()];
  rs.active.add(1);
  rs.connections[static_cast<size_t>(ConnResult::Accepted)].inc();
  connections_.fetch_add(1, std::memory_order_relaxed);
}

void Worker::on_closed(Session& s) {
  if (!s.open()) return;
  by_id_.erase(s.id());
  if (!s.user().empty()) erase_member(by_user_, s.user(), &s);
  for (const auto& ch : s.channels()) {
    erase_member(by_channel_, ch, &s);
    if (by_channel_.find(ch) == by_channel_.end()) stats_.channels.add(-1);
  }
  auto& rs = stats_.route[s.stats_slot()];
  rs.active.add(-1);
  connections_.fetch_sub(1, std::memory_order_relaxed);
}

void Worker::forget(Session* s) {
  const uint32_t slot = slot_of(s->handle());
  if (slot < slots_.size() && slots_[slot] == s) {
    slots_[slot] = nullptr;
    free_slots_.push_back(slot);
    if (slot < receive_pages_.size()) receive_pages_[slot] = {};
  }
  s->~Session();
  sessions_.deallocate(s);
  memory_release_.note(turn_now());
}

Session* Worker::by_handle(uint64_t handle) {
  const uint32_t slot = slot_of(handle);
  const uint32_t gen = static_cast<uint32_t>(handle >> 32);
  if (slot == 0 || slot >= slots_.size() || generations_[slot] != gen) return nullptr;
  return slots_[slot];
}

BusStatus Worker::publish(const BusTarget& target, const contract::Event& ev, uint64_t handle) {
  if (target.kind == BusTarget::Kind::Kafka) {
    return kafka_ ? kafka_->produce(target, ev, handle, scratch_) : BusStatus::Failed;
  }
  return redis_ ? redis_->send(target, ev, handle, scratch_) : BusStatus::Failed;
}

void Worker::add_stalled(Session& s) {
  stalled_.push_back(s.handle());
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&retry_timer_))) {
    uv_timer_start(&retry_timer_, &Worker::on_retry, kRetry.count(), kRetry.count());
  }
}

void Worker::on_retry(uv_timer_t* timer) {
  auto* w = static_cast<Worker*>(timer->data);
  size_t kept = 0;
  for (size_t i = 0; i < w->stalled_.size(); ++i) {
    Session* s = w->by_handle(w->stalled_[i]);
    if (s == nullptr) continue;
    if (!s->retry_stalled()) w->stalled_[kept++] = w->stalled_[i];
  }
  w->stalled_.resize(kept);
  if (w->stalled_.empty()) uv_timer_stop(timer);
}

void Worker::on_ack(uint64_t handle, size_t bytes, BusResult result) {
  Session* s = by_handle(handle);
  if (s == nullptr) return;  // the connection is gone; its bytes left the gauge when it closed
  switch (result) {
    case BusResult::Ok:
      s->on_bus_ack(bytes);
      break;
    case BusResult::Timeout:
      s->on_bus_failure(bytes, 1013, "bus unavailable");
      break;
    case BusResult::Rejected:
      s->on_bus_failure(bytes, 1011, "bus rejected message");
      break;
  }
}

bool Worker::join_channel(Session& s, const std::string& channel) {
  if (!s.join(channel)) return false;
  auto [it, fresh] = by_channel_.try_emplace(channel);
  if (fresh) stats_.channels.add(1);
  it->second.push_back(&s);
  return true;
}

bool Worker::leave_channel(Session& s, const std::string& channel) {
  if (!s.leave(channel)) return false;
  erase_member(by_channel_, channel, &s);
  if (by_channel_.find(channel) == by_channel_.end()) stats_.channels.add(-1);
  return true;
}

void Worker::on_inbox(uv_async_t* async) {
  auto* w = static_cast<Worker*>(async->data);
  while (MpscNode* n = w->inbox_.pop()) {
    auto* d = static_cast<Delivery*>(n);
    if (d->kind == Delivery::Kind::Reload) {
      w->apply(std::move(d->table));
    } else {
      w->handle(*d);
    }
    d->clear();  // drops its frame and table here, on this thread
    w->spent_.push(d);
  }
  if (w->drain_requested_.load(std::memory_order_acquire) && !w->draining_) w->drain_step();
}

// Replies to this worker's connections arrive on channels no other worker subscribes to. User,
// channel, broadcast and control messages reach every worker: each serves its own connections, and
// worker 0 alone counts them and their faults, so that each is counted once.
void Worker::on_redis_message(std::string_view channel, std::string_view payload) {
  const std::string& prefix = runtime_.config->redis->prefix;
  if (channel.substr(0, prefix.size()) != prefix) return;
  const std::string_view rest = channel.substr(prefix.size());
  const bool counts = index_ == 0 || rest.substr(0, 5) == "conn:";
  Delivery& d = redis_in_;
  d.clear();
  if (!read_redis_message(rest, payload, frames_, d, counts ? &stats_ : nullptr)) return;
  if (d.target == contract::Target::Kind::Connection) {
    unsigned worker = 0;
    const Owner owner = owner_of(d.name, runtime_.workers, worker);
    if (owner != Owner::Worker) {
      if (counts) count_unowned(owner, stats_);
      return;
    }
    if (worker != index_) return;  // a command for another worker's connection
  }
  handle(d);
  d.frame = FrameRef();
}

void Worker::handle(Delivery& d) {
  using K = contract::Target::Kind;
  switch (d.target) {
    case K::Connection: {
      Session* s = by_id_.find(d.name);
      if (s == nullptr) {
        stats_.undeliverable[static_cast<size_t>(Undeliverable::NoConnection)].inc();
        log::debug("reply for a connection that is gone",
                   {{"conn_id", d.name}, log::Field::optional("trace_id", d.trace_id.data())});
        return;
      }
      if (d.kind == Delivery::Kind::Frame) s->on_reply(turn_now());
      deliver_to(*s, d);
      return;
    }
    case K::User:
      deliver_to_members(by_user_, d);
      return;
    case K::Channel:
      deliver_to_members(by_channel_, d);
      return;
    case K::Broadcast:
      if (d.kind == Delivery::Kind::Frame) {
        by_id_.for_each([&](Session& s) { deliver_to(s, d); });  // sending never changes the index
      } else {
        std::vector<Session*> all;
        all.reserve(by_id_.size());
        by_id_.for_each([&](Session& s) { all.push_back(&s); });
        for (Session* s : all)
          deliver_to(*s, d);
      }
      return;
    case K::Invalid:
      return;
  }
}

void Worker::deliver_to_members(Index& index, Delivery& d) {
  auto it = index.find(d.name);
  if (it == index.end()) return;
  if (d.kind == Delivery::Kind::Frame) {
    for (Session* s : it->second)
      deliver_to(*s, d);  // sending never changes the index
    return;
  }
  const std::vector<Session*> members = it->second;  // commands may join or leave channels
  for (Session* s : members)
    deliver_to(*s, d);
}

void Worker::deliver_to(Session& s, Delivery& d) {
  switch (d.kind) {
    case Delivery::Kind::Frame:
      stats_.replies_delivered.inc();
      s.send(d.frame);
      return;
    case Delivery::Kind::Close:
      log::info("close requested by upstream",
                {{"conn_id", s.id()},
                 {"code", d.close_code},
                 log::Field::optional("trace_id", d.trace_id.data())});
      s.close(d.close_code, d.close_reason);
      return;
    case Delivery::Kind::Subscribe:
      join_channel(s, d.channel);
      return;
    case Delivery::Kind::Unsubscribe:
      leave_channel(s, d.channel);
      return;
    case Delivery::Kind::Reload:
      return;  // taken in on_inbox, never addressed to a connection
  }
}

void Worker::flush_later(const Session& s) {
  if (to_flush_.empty()) uv_idle_start(&flush_idle_, [](uv_idle_t*) {});
  to_flush_.push_back(s.handle());
}

void Worker::on_flush(uv_check_t* check) {
  auto* w = static_cast<Worker*>(check->data);
  if (!w->to_flush_.empty()) {
    uv_idle_stop(&w->flush_idle_);
    for (size_t i = 0; i < w->to_flush_.size(); ++i) {  // by index: a flush may add to the list
      if (Session* s = w->by_handle(w->to_flush_[i])) s->flush();
    }
    w->to_flush_.clear();
  }
  w->read_budget_.end_turn([w](uint64_t handle) {
    if (Session* s = w->by_handle(handle)) s->resume_reading();
  });
  w->turn_now_ = {};
}

void Worker::on_tick(uv_timer_t* timer) {
  auto* w = static_cast<Worker*>(timer->data);
  w->tick();
}

void Worker::tick() {
  const auto now = Clock::now();
  // How late this tick fired: the loop was busy (or starved) for that long.
  if (last_tick_ != Clock::time_point{}) {
    const auto late =
        std::chrono::duration_cast<std::chrono::microseconds>(now - last_tick_ - kTick);
    stats_.loop_lag_micros.set(std::max<int64_t>(0, late.count()));
  }
  last_tick_ = now;
  if (accept_paused_ && !draining_) {
    accept_paused_ = false;
    set_accepting(true);
  }
  for (size_t slot = 0; slot < slots_.size(); ++slot) {
    Session* s = slots_[slot];
    if (s == nullptr || !s->established()) continue;
    s->tick(now);
    if (slot < receive_pages_.size() && receive_pages_[slot].written() && s->between_frames())
      receive_pages_[slot].release_if_written();
  }
  if (draining_) drain_step();
}

void Worker::set_receive_page(const Session& s, ReceivePage page) {
  const uint32_t slot = slot_of(s.handle());
  if (slot >= receive_pages_.size()) {
    if (page.empty()) return;
    receive_pages_.resize(slots_.size());
  }
  receive_pages_[slot] = page;
}

// Draining, in order: stop accepting and reading; let what is in flight reach the bus; close
// every client with 1001; flush the producers; let the loop end.
void Worker::drain_step() {
  const auto now = Clock::now();
  const auto grace = table_->config->drain_timeout;
  if (!draining_) {
    draining_ = true;
    drain_deadline_ = now + grace / 2;
    close_deadline_ = now + grace;
    set_accepting(false);
    for (Session* s : slots_) {
      if (s != nullptr && s->established()) s->pause_reading();
    }
  }
  size_t inflight = 0;
  size_t open = 0;
  for (Session* s : slots_) {
    if (s == nullptr) continue;
    ++open;
    inflight += s->inflight();
  }
  if (!closing_clients_ && (inflight == 0 || now >= drain_deadline_)) {
    closing_clients_ = true;
    for (Session* s : slots_) {
      if (s != nullptr && s->established()) s->close(1001, "going away");
    }
  }
  if (closing_clients_ && (open == 0 || now >= close_deadline_)) finish();
}

void Worker::finish() {
  redis_sub_.reset();  // no reply is taken once the sessions are gone
  uv_timer_stop(&tick_timer_);
  uv_timer_stop(&retry_timer_);
  const auto left = std::chrono::milliseconds(2000);
  if (kafka_) kafka_->flush(left);
  if (redis_) redis_->flush_and_stop(left);
  ws::destroy_context(context_);  // libwebsockets clears context_ once it is wholly freed
  // Every session is gone; filters close their own handles on this loop.
  bindings_.clear();
  for (auto& p : accept_polls_)
    uv_close(reinterpret_cast<uv_handle_t*>(p.get()), nullptr);
  if (kafka_) kafka_->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_idle_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&turn_prepare_), nullptr);
  memory_release_.close();
  uv_close(reinterpret_cast<uv_handle_t*>(&inbox_async_), nullptr);
  // Deliveries still queued are freed; their connections are closed.
  while (MpscNode* n = inbox_.pop())
    delete static_cast<Delivery*>(n);
}

}  // namespace holdfast
