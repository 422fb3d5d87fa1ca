#include "proxy/session.h"

#include <algorithm>
#include <chrono>

#include "filters/jwt/jwt.h"
#include "filters/registry.h"
#include "proxy/contract.h"
#include "proxy/log.h"
#include "proxy/lws_allocator.h"
#include "proxy/stats.h"
#include "proxy/util/clock.h"
#include "proxy/util/utf8.h"
#include "proxy/worker.h"
#include "proxy/ws_protocol.h"

namespace holdfast {

// The target's name and key are views: into the route's config, into the connection's id or
// user, or into the strings here when a template depends on the connection.
struct BoundTarget {
  std::string name, key;
  BusTarget target;
};

namespace {

using config::KeyMode;

// How long a deferred upgrade hook may hold a connection before it is closed.
constexpr auto kHeldLimit = std::chrono::seconds(15);

// How long a connection goes without a message before its reassembly buffer hands back room
// beyond MessageBuffer::kKeptBytes.
constexpr auto kQuietBeforeRelease = std::chrono::seconds(1);

// lws stops reading a connection while any reason in its bitmap applies: update_flow's pause is
// LWS_RXFLOW_REASON_USER_BOOL, a spent read budget (read_budget.h) this one, which lws leaves
// unused.
constexpr int kTurnSpent = 1 << 1;

// A name as a view into the route's config when its template is literal, or else rendered for
// this connection into `storage`.
std::string_view bind_name(const config::Template& t, const config::TemplateContext& ctx,
                           std::string& storage) {
  if (t.is_literal()) return t.empty() ? std::string_view() : std::string_view(t.parts()[0].text);
  t.render(ctx, storage);
  return storage;
}

std::string_view bind_key(const config::KafkaUpstream& k, const config::TemplateContext& ctx,
                          std::string& storage) {
  switch (k.key_mode) {
    case KeyMode::Connection:
      return ctx.connection_id;
    case KeyMode::User:
      return ctx.user;
    case KeyMode::None:
      return {};
    case KeyMode::Template:
      return bind_name(k.key, ctx, storage);
  }
  return {};
}

std::unique_ptr<BoundTarget> bind(const config::KafkaUpstream& k,
                                  const config::TemplateContext& ctx) {
  auto b = std::make_unique<BoundTarget>();
  b->target.kind = BusTarget::Kind::Kafka;
  b->target.name = bind_name(k.topic, ctx, b->name);
  b->target.key = bind_key(k, ctx, b->key);
  b->target.has_key = k.key_mode != KeyMode::None;
  return b;
}

std::unique_ptr<BoundTarget> bind(const config::RedisUpstream& r,
                                  const config::TemplateContext& ctx) {
  auto b = std::make_unique<BoundTarget>();
  b->target.kind = r.kind == config::RedisUpstream::Kind::Stream ? BusTarget::Kind::RedisStream
                                                                 : BusTarget::Kind::RedisChannel;
  b->target.name = bind_name(r.name, ctx, b->name);
  b->target.maxlen = r.maxlen;
  return b;
}

}  // namespace

// The upgrade request kept while a filter's upgrade hook is deferred, for the hooks after it.
struct Session::HeldRequest {
  explicit HeldRequest(const filters::Request& r)
      : path(r.path),
        query(r.query),
        authorization(r.authorization),
        origin(r.origin),
        cookie(r.cookie),
        protocols(r.protocols),
        host(r.host),
        listener(r.listener),
        since(Clock::now()) {}
  filters::Request view() const {
    return {path, query, authorization, origin, cookie, protocols, host, listener};
  }
  std::string path, query, authorization, origin, cookie, protocols, host;
  size_t listener;
  Clock::time_point since;
};

// The parts of a connection that most connections never set.
struct Session::Extra {
  std::string peer;          // when a trusted X-Forwarded-For named another client
  std::string user;          // rendered from the route's user template
  std::string close_reason;  // UTF-8, at most 123 bytes
  std::vector<std::pair<std::string, std::string>> metadata;
  std::vector<std::string> channels;
  Clock::time_point last_drop_notice{};
  std::unique_ptr<HeldRequest> held_request;
};

namespace {
const std::string kNone;
const std::vector<std::string> kNoChannels;
}  // namespace

// Each idle connection costs its Session, byte for byte (Worker makes them in exact-size blocks).
// Move what most connections leave unset into Extra before raising this.
static_assert(sizeof(Session) <= 392);

Session::Extra& Session::extra() {
  if (!extra_) extra_ = std::make_unique<Extra>();
  return *extra_;
}

Session::HeldRequest* Session::held_request() const {
  return extra_ ? extra_->held_request.get() : nullptr;
}

const std::string& Session::user() const {
  if (route().user.empty()) return conn_.auth_id;
  return extra_ ? extra_->user : kNone;
}

const std::string& Session::peer() const {
  return extra_ && !extra_->peer.empty() ? extra_->peer : conn_.client_ip;
}

const std::vector<std::string>& Session::channels() const {
  return extra_ ? extra_->channels : kNoChannels;
}

const std::string& Session::close_reason() const {
  return extra_ ? extra_->close_reason : kNone;
}

void Session::set_close_reason(std::string_view reason) {
  if (reason.empty() && !extra_) return;
  extra().close_reason.assign(reason);
}

Session::Session(Worker& worker, Init init)
    : worker_(worker), wsi_(init.wsi), binding_(std::move(init.binding)), id_(worker.ids().next()) {
  if (!init.params.empty())
    params_ = std::make_unique<const std::vector<std::string>>(std::move(init.params));
  conn_.client_ip = std::move(init.client_ip);
  if (init.peer != conn_.client_ip) extra().peer = std::move(init.peer);
  conn_.route = route().name;
  trace_from_client_ =
      !init.traceparent.empty() && util::parse_traceparent(init.traceparent, trace_);
  if (!trace_from_client_) trace_ = util::new_trace();
  opened_ = last_rx_ = last_message_ = Clock::now();
}

Session::~Session() = default;

RouteStats& Session::stats() {
  return worker_.stats().route[binding_->stats_slot];
}

bool Session::start_filters(const filters::Request& req, filters::Rejection& rejection) {
  filter_states_ = chain().new_states();
  size_t at = 0;
  switch (run_upgrade(req, 0, at, rejection)) {
    case FilterChain::Outcome::Pass:
      admit();
      return true;
    case FilterChain::Outcome::Defer:
      extra().held_request = std::make_unique<HeldRequest>(req);
      return true;
    case FilterChain::Outcome::Reject:
      break;
  }
  count_rejection(worker_.stats(), chain().type_at(at), rejection, &stats());
  chain().close(conn_, filter_states_, conn_.handle, filters_passed_);
  filters_passed_ = 0;
  return false;
}

FilterChain::Outcome Session::run_upgrade(const filters::Request& req, size_t from, size_t& at,
                                          filters::Rejection& rejection) {
  size_t passed = filters_passed_;
  const auto outcome =
      chain().upgrade(req, conn_, filter_states_, conn_.handle, from, at, passed, rejection);
  filters_passed_ = static_cast<uint16_t>(passed);
  return outcome;
}

void Session::continue_upgrade(size_t from) {
  filters::Rejection rejection;
  size_t at = 0;
  const filters::Request req = held_request()->view();
  switch (run_upgrade(req, from, at, rejection)) {
    case FilterChain::Outcome::Pass:
      extra_->held_request.reset();
      admit();
      maybe_open();
      return;
    case FilterChain::Outcome::Defer:
      return;
    case FilterChain::Outcome::Reject:
      extra_->held_request.reset();
      count_rejection(worker_.stats(), chain().type_at(at), rejection, &stats());
      close(rejection.close_code, rejection.message);
      return;
  }
}

void Session::resume(const filters::Pending& pending, const filters::Rejection* rejection) {
  if (closing_ || closed_) return;
  if (held_request() != nullptr) {
    if (rejection == nullptr) {
      filters_passed_ =
          static_cast<uint16_t>(std::max<size_t>(filters_passed_, pending.filter + 1));
      continue_upgrade(pending.filter + 1);
      return;
    }
    extra_->held_request.reset();
    count_rejection(worker_.stats(), chain().type_at(pending.filter), *rejection, &stats());
    close(rejection->close_code, rejection->message);
    return;
  }
  if (!message_held_) return;
  message_held_ = false;
  if (rejection != nullptr) {
    refuse_message(pending.filter, *rejection);
  } else if (filter_message(pending.filter + 1) == CallbackResult::Close) {
    // Outside a callback, fail()'s answer has no one to read it: close politely instead.
    closing_ = false;
    close(close_code_, close_reason());
  }
  update_flow();
}

void Session::admit() {
  admitted_ = true;
  config::TemplateContext ctx = template_context();
  if (!route().user.empty()) {
    extra().user = route().user.render(ctx);
    ctx.user = user();
  }

  const auto& up = route().upstream;
  if (up.kind == config::Upstream::Kind::Kafka) {
    upstream_ = bind(up.kafka, ctx);
  } else if (up.kind == config::Upstream::Kind::Redis) {
    upstream_ = bind(up.redis, ctx);
  }
  const auto& ev = route().events;
  if (ev.kind == config::Events::Kind::Kafka) {
    events_ = bind(ev.kafka, ctx);
  } else if (ev.kind == config::Events::Kind::Redis) {
    events_ = bind(ev.redis, ctx);
  }
  const auto& redis = worker_.runtime().config->redis;
  if (route().replies.kafka_topic.empty() && redis &&
      (route().replies.redis || up.kind == config::Upstream::Kind::Redis)) {
    auto channel = std::make_unique<std::string>(redis->prefix);
    channel->append("conn:").append(id_.view());
    reply_channel_ = std::move(channel);
  }
  if (route().metadata.empty() && conn_.claims.empty()) return;
  auto& metadata = extra().metadata;
  metadata.reserve(route().metadata.size() + conn_.claims.size());
  for (const auto& [name, tmpl] : route().metadata)
    metadata.emplace_back(name, tmpl.render(ctx));
  // Forwarded claims become ce_<name> too, unless the route's own metadata names them.
  for (const auto& [name, value] : conn_.claims) {
    const bool taken = std::any_of(metadata.begin(), metadata.end(),
                                   [&](const auto& m) { return m.first == name; });
    if (!taken) metadata.emplace_back(name, value);
  }
}

void Session::on_established() {
  established_ = true;
  const NewReceiveBuffer buffer = take_new_receive_buffer();
  worker_.set_receive_page(*this, ReceivePage::of(buffer.data, buffer.size));
  opened_ = last_rx_ = last_message_ = Clock::now();
  if (!admitted_) {
    update_flow();  // held: read nothing until the filters decide
    return;
  }
  maybe_open();
}

void Session::maybe_open() {
  if (open_ || !established_ || !admitted_ || closing_) return;
  open_ = true;
  update_flow();
  worker_.on_open(*this);
  const config::TemplateContext ctx = template_context();
  for (const auto& t : route().subscribe)
    worker_.join_channel(*this, t.render(ctx));
  params_.reset();  // every template that needs them has been rendered
  produce_event(contract::kTypeConnect);
  log::debug("connection open", {{"conn_id", id_},
                                 {"route", route().name},
                                 {"peer", peer()},
                                 {"trace_id", std::string_view(trace_hex())}});
}

CallbackResult Session::on_receive(const void* in, size_t len) {
  last_rx_ = worker_.turn_now();
  if (worker_.spend_read_budget(*this)) {
    worker_.stats().read_budget_spent.inc();
    lws_rx_flow_control(wsi_, LWS_RXFLOW_REASON_APPLIES_DISABLE | kTurnSpent);
  }
  if (closing_) return CallbackResult::Continue;  // the client is being told why already
  if (rx_stalled_ || message_held_) return fail(1013, "bus busy");
  if (!admitted_) return fail(1008, "not admitted");
  if (!rx_open_) {
    rx_open_ = true;
    rx_binary_ = lws_frame_is_binary(wsi_) != 0;
  }
  if (rx_.size() + len > route().limits.max_message_size) {
    worker_.stats().too_big.inc();
    return fail(1009, "message too big");
  }
  rx_.append(static_cast<const char*>(in), len);
  if (!lws_is_final_fragment(wsi_)) return CallbackResult::Continue;
  rx_open_ = false;
  return deliver_message();
}

CallbackResult Session::deliver_message() {
  const bool text = !rx_binary_;
  if (text && !util::valid_utf8(rx_)) {
    worker_.stats().invalid_utf8.inc();
    return fail(1007, "invalid UTF-8");
  }
  last_message_ = worker_.turn_now();
  ++messages_in_;
  bytes_in_ += rx_.size();
  stats().messages_in.inc();
  stats().bytes_in.inc(rx_.size());
  if (chain().empty()) return forward_message();
  return filter_message(0);
}

CallbackResult Session::filter_message(size_t from) {
  filters::Rejection rejection;
  size_t at = 0;
  const filters::Message msg{rx_, rx_binary_};
  switch (chain().message(msg, conn_, filter_states_, conn_.handle, from, at, rejection)) {
    case FilterChain::Outcome::Pass:
      dropping_ = false;
      return forward_message();
    case FilterChain::Outcome::Defer:
      message_held_ = true;
      update_flow();
      return CallbackResult::Continue;
    case FilterChain::Outcome::Reject:
      refuse_message(at, rejection);
      return CallbackResult::Continue;
  }
  return CallbackResult::Continue;
}

void Session::refuse_message(size_t filter, const filters::Rejection& r) {
  count_rejection(worker_.stats(), chain().type_at(filter), r, nullptr);
  rx_.clear();
  if (r.drop_message) {
    auto& notice = extra().last_drop_notice;
    if (dropping_ && last_message_ - notice < std::chrono::seconds(1)) return;
    dropping_ = true;
    notice = last_message_;
    FrameRef f(worker_.frames().make(error_frame(r), true));
    if (f) send(f);
    return;
  }
  close(r.close_code, r.message);
}

CallbackResult Session::forward_message() {
  const auto& up = route().upstream;
  if (up.kind == config::Upstream::Kind::Echo) {
    FrameRef f(worker_.frames().make(rx_, !rx_binary_));
    rx_.clear();
    if (!f) return fail(1011, "out of memory");
    send(f);
    return CallbackResult::Continue;
  }
  retry_stalled();
  return CallbackResult::Continue;
}

bool Session::retry_stalled() {
  if (rx_.empty() && !rx_stalled_) return true;
  ++seq_;
  contract::Event ev = make_event(contract::kTypeMessage);
  ev.content_type = !route().content_type.empty() ? std::string_view(route().content_type)
                    : rx_binary_                  ? contract::kOctetStream
                                                  : contract::kTextPlain;
  ev.data = rx_;
  ev.binary = rx_binary_;

  const size_t size = rx_.size();
  switch (worker_.publish(upstream_->target, ev, conn_.handle)) {
    case BusStatus::Accepted:
      if (inflight_ == 0) bus_waiting_since_ = worker_.turn_now();
      if (awaiting_reply_since_ == Clock::time_point{}) awaiting_reply_since_ = worker_.turn_now();
      inflight_ += size;
      worker_.stats().inflight_bytes.add(static_cast<int64_t>(size));
      rx_.clear();
      rx_stalled_ = false;
      update_flow();
      return true;
    case BusStatus::Busy:
      --seq_;
      if (!rx_stalled_) {
        rx_stalled_ = true;
        if (inflight_ == 0) bus_waiting_since_ = worker_.turn_now();
        worker_.add_stalled(*this);
      }
      update_flow();
      return false;
    case BusStatus::Failed:
      break;
  }
  rx_.clear();
  rx_stalled_ = false;
  close(1011, "bus error");
  return true;
}

void Session::on_bus_busy() {
  update_flow();
}

CallbackResult Session::fail(int code, std::string_view reason) {
  close_code_ = code;
  set_close_reason(reason);
  closing_ = true;
  send_close_reason();
  return CallbackResult::Close;
}

void Session::update_flow() {
  const size_t max = route().limits.max_inflight_bytes;
  bool pause = paused_;
  if (closing_) {
    pause = false;  // read on, to see the peer's close; data after our close is discarded
  } else if (rx_stalled_ || message_held_ || !admitted_ || draining_ || inflight_ >= max) {
    pause = true;
  } else if (inflight_ <= max / 2) {
    pause = false;
  }
  if (pause == paused_) return;
  paused_ = pause;
  if (paused_ && !draining_ && !closing_ && admitted_ && !message_held_) {
    worker_.stats().backpressure_pauses.inc();
  }
  lws_rx_flow_control(wsi_, paused_ ? 0 : 1);
}

void Session::on_bus_ack(size_t bytes) {
  bytes = std::min(bytes, inflight_);
  inflight_ -= bytes;
  worker_.stats().inflight_bytes.add(-static_cast<int64_t>(bytes));
  bus_waiting_since_ = worker_.turn_now();
  update_flow();
}

void Session::on_bus_failure(size_t bytes, int close_code, std::string_view reason) {
  on_bus_ack(bytes);
  close(close_code, reason);
}

void Session::send(const FrameRef& frame) {
  if (closing_ || !established_) return;
  if (out_.bytes() + OutboundQueue::cost(*frame) > route().limits.max_outbound_bytes) {
    worker_.stats().slow_consumer_closes.inc();
    log::info("slow consumer", {{"conn_id", id_},
                                {"route", route().name},
                                {"trace_id", std::string_view(trace_hex())},
                                {"queued_bytes", static_cast<uint64_t>(out_.bytes())}});
    out_.clear();
    close(1008, "slow consumer");
    return;
  }
  // A frame joining nothing queued and nothing half-sent is written at the end of this loop turn,
  // together with whatever else reaches this connection in the same turn, sparing the writable
  // round trip (two epoll changes and a poll) that fan-out would otherwise pay per delivery. lws
  // keeps whatever the socket does not take and finishes it when writable, before anything else.
  out_.push(frame);
  if (flush_due_) return;
  if (out_.size() == 1 && !ping_due_ && !lws_partial_buffered(wsi_)) {
    flush_due_ = true;
    worker_.flush_later(*this);
    return;
  }
  lws_callback_on_writable(wsi_);
}

void Session::flush() {
  flush_due_ = false;
  if (kill_) return;
  if (!write_queued()) kill_ = true;
  if (kill_ || !out_.empty()) lws_callback_on_writable(wsi_);
}

bool Session::write_frame(Frame& f) {
  const int n =
      lws_write(wsi_, f.payload(), f.size(), f.text() ? LWS_WRITE_TEXT : LWS_WRITE_BINARY);
  if (n < static_cast<int>(f.size())) return false;
  count_out(f);
  return true;
}

void Session::count_out(const Frame& f) {
  ++messages_out_;
  bytes_out_ += f.size();
  stats().messages_out.inc();
  stats().bytes_out.inc(f.size());
  last_message_ = worker_.turn_now();  // idle means no messages either way
}

bool Session::write_queued() {
  WriteBatch& batch = worker_.write_batch();
  while (!out_.empty() && !lws_partial_buffered(wsi_)) {
    Frame& first = *out_.front();
    if (out_.size() == 1 || !WriteBatch::batchable(first)) {
      if (!write_frame(first)) return false;
      out_.pop();
      continue;
    }
    // Framed here and written raw: lws frames nothing for an HTTP write, and sends it (through
    // TLS where there is TLS) exactly as a frame it had framed itself.
    batch.clear();
    while (!out_.empty() && WriteBatch::batchable(*out_.front()) && batch.fits(*out_.front())) {
      batch.append(*out_.front());
      count_out(*out_.front());
      out_.pop();
    }
    const int n = lws_write(wsi_, batch.data(), batch.size(), LWS_WRITE_HTTP);
    if (n < static_cast<int>(batch.size())) return false;
  }
  return true;
}

void Session::on_reply(Clock::time_point now) {
  if (awaiting_reply_since_ == Clock::time_point{}) return;
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(now - awaiting_reply_since_).count();
  stats().roundtrip.observe(static_cast<double>(us) / 1e6);
  awaiting_reply_since_ = {};
}

void Session::close(int code, std::string_view reason) {
  if (closing_) return;
  closing_ = true;
  close_code_ = code;
  set_close_reason(util::utf8_prefix(reason, 123));
  update_flow();
  lws_callback_on_writable(wsi_);
}

void Session::pause_reading() {
  draining_ = true;
  update_flow();
}

void Session::resume_reading() {
  if (!closed_) lws_rx_flow_control(wsi_, LWS_RXFLOW_REASON_APPLIES_ENABLE | kTurnSpent);
}

CallbackResult Session::on_writable() {
  if (kill_) return CallbackResult::Close;
  if (ping_due_) {
    ping_due_ = false;
    // Empty unless ping_payload_, so that its pong is not copied into the receive buffer: an
    // idle connection that has read nothing else leaves that buffer's pages out of the resident
    // set.
    unsigned char buf[LWS_PRE + 2] = {};
    const size_t len = ping_payload_ ? 2 : 0;
    if (lws_write(wsi_, buf + LWS_PRE, len, LWS_WRITE_PING) < 0) return CallbackResult::Close;
  }
  if (!write_queued()) return CallbackResult::Close;
  if (!out_.empty()) {
    lws_callback_on_writable(wsi_);
  } else if (closing_ && !close_sent_) {
    // Returning -1 here, or most timeouts, would mark the socket unusable and skip the close
    // frame. lws 4.1 treats only the keepalive-idle timeout as a polite close: it sends our
    // code and reason and waits for the peer's answer.
    close_sent_ = true;
    send_close_reason();
    lws_set_timeout(wsi_, PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, LWS_TO_KILL_ASYNC);
  }
  return CallbackResult::Continue;
}

void Session::on_peer_close(const void* in, size_t len) {
  const auto* p = static_cast<const unsigned char*>(in);
  if (len >= 2) {
    close_code_ = (p[0] << 8) | p[1];
    set_close_reason({reinterpret_cast<const char*>(p + 2), len - 2});
  } else if (close_code_ == 0) {
    close_code_ = 1005;  // no status received
  }
}

void Session::tick(Clock::time_point now) {
  if (closing_) return;
  if (now - last_message_ > kQuietBeforeRelease) rx_.release_large();
  if (const HeldRequest* held = held_request(); held && now - held->since > kHeldLimit) {
    log::warn(
        "filter did not decide in time",
        {{"conn_id", id_}, {"route", route().name}, {"trace_id", std::string_view(trace_hex())}});
    extra_->held_request.reset();
    close(1011, "admission timed out");
    return;
  }
  if (conn_.expires != std::chrono::system_clock::time_point{} &&
      std::chrono::system_clock::now() >= conn_.expires) {
    if (const auto* jwt = filters::find_type("jwt")) {
      worker_.count(filters::type_index(*jwt), filters::jwt::kExpiredSession);
    }
    close(1008, "token expired");
    return;
  }
  const auto& lim = route().limits;
  if ((inflight_ > 0 || rx_stalled_) && now - bus_waiting_since_ > lim.bus_timeout) {
    worker_.stats().bus_timeout_closes.inc();
    log::warn("bus unavailable, closing", {{"conn_id", id_},
                                           {"route", route().name},
                                           {"trace_id", std::string_view(trace_hex())},
                                           {"inflight_bytes", static_cast<uint64_t>(inflight_)}});
    close(1013, "bus unavailable");
    return;
  }
  const auto& ka = route().keepalive;
  if (ka.ping_interval.count() > 0) {
    auto quiet = now - last_rx_;
    if (quiet > ka.ping_interval) {
      // lws 4.1 reports no empty pong, and holdfast's pings are empty: ask the kernel when the
      // peer last sent anything, a pong included.
      if (const auto since = ws::since_last_received(wsi_)) {
        last_rx_ = std::max(last_rx_, now - *since);
        quiet = now - last_rx_;
      } else {
        ping_payload_ = true;
      }
    }
    if (quiet > ka.ping_interval + ka.pong_timeout) {
      log::info(
          "peer unresponsive",
          {{"conn_id", id_}, {"route", route().name}, {"trace_id", std::string_view(trace_hex())}});
      close_code_ = 1006;
      set_close_reason("keepalive timeout");
      closing_ = true;
      kill_ = true;  // no close handshake with a peer that does not answer
      lws_callback_on_writable(wsi_);
      lws_set_timeout(wsi_, PENDING_TIMEOUT_CLOSE_ACK, 2);
      return;
    }
    if (quiet > ka.ping_interval && !ping_due_) {
      ping_due_ = true;
      lws_callback_on_writable(wsi_);
    }
  }
  if (ka.idle_timeout.count() > 0 && now - last_message_ > ka.idle_timeout) {
    close(1000, "idle timeout");
  }
}

void Session::on_closed() {
  if (closed_) return;
  closed_ = true;
  if (close_code_ == 0) close_code_ = 1006;
  if (inflight_ > 0) worker_.stats().inflight_bytes.add(-static_cast<int64_t>(inflight_));
  chain().close(conn_, filter_states_, conn_.handle, filters_passed_);
  filters_passed_ = 0;
  if (established_) stats().disconnects[close_code_index(close_code_)].inc();
  if (open_) {
    produce_event(contract::kTypeDisconnect);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - opened_);
    stats().duration.observe(static_cast<double>(ms.count()) / 1000.0);
    log::info("connection closed", {{"conn_id", id_},
                                    {"route", route().name},
                                    {"trace_id", std::string_view(trace_hex())},
                                    {"peer", peer()},
                                    {"user", user()},
                                    {"duration_ms", static_cast<int64_t>(ms.count())},
                                    {"close_code", close_code_},
                                    {"messages_in", messages_in_},
                                    {"messages_out", messages_out_},
                                    {"bytes_in", bytes_in_},
                                    {"bytes_out", bytes_out_}});
  }
  worker_.on_closed(*this);
}

contract::Event Session::make_event(std::string_view type) {
  EventScratch& s = worker_.scratch();
  s.id.assign(id_);
  if (type == contract::kTypeMessage) {
    s.id += '-';
    s.id += std::to_string(seq_);
  } else {
    s.id += type == contract::kTypeConnect ? "-connect" : "-disconnect";
  }
  s.time.clear();
  util::append_rfc3339_utc(s.time, std::chrono::system_clock::now());
  s.trace.clear();
  uint8_t span[8];
  util::random_span_id(span);
  if (type == contract::kTypeMessage && !trace_from_client_ &&
      worker_.runtime().config->trace_per_message) {
    util::append_traceparent(s.trace, util::new_trace(), span);  // a trace of its own
  } else {
    util::append_traceparent(s.trace, trace_, span);
  }
  contract::Event ev;
  ev.type = type;
  ev.id = s.id;
  ev.source = route().source;
  ev.time = s.time;
  ev.connection_id = id_;
  ev.auth_id = conn_.auth_id.empty() ? std::string_view(user()) : std::string_view(conn_.auth_id);
  ev.reply_to = reply_to();
  ev.traceparent = s.trace;
  ev.metadata = extra_ ? &extra_->metadata : nullptr;
  return ev;
}

config::TemplateContext Session::template_context() const {
  config::TemplateContext ctx;
  ctx.params = params_.get();
  ctx.connection_id = id_;
  ctx.user = user();
  ctx.claims = &conn_.claims;
  return ctx;
}

std::string_view Session::reply_to() const {
  if (reply_channel_) return *reply_channel_;
  return route().replies.kafka_topic;  // empty when the route has no reply topic
}

Session::TraceHex Session::trace_hex() const {
  TraceHex hex;
  util::write_trace_id(trace_, hex.text);
  return hex;
}

void Session::produce_event(std::string_view type) {
  if (!events_) return;  // a route without `events`, or a connection never admitted
  contract::Event ev = make_event(type);
  if (type == contract::kTypeDisconnect) {
    ev.close_code = close_code_;
    ev.close_reason = close_reason();
  }
  if (worker_.publish(events_->target, ev, 0) != BusStatus::Accepted) {
    log::warn("event not produced", {{"conn_id", id_},
                                     {"route", route().name},
                                     {"trace_id", std::string_view(trace_hex())},
                                     {"type", type}});
  }
}

bool Session::join(const std::string& channel) {
  auto& channels = extra().channels;
  if (std::find(channels.begin(), channels.end(), channel) != channels.end()) return false;
  channels.push_back(channel);
  return true;
}

bool Session::leave(const std::string& channel) {
  if (!extra_) return false;
  auto& channels = extra_->channels;
  auto it = std::find(channels.begin(), channels.end(), channel);
  if (it == channels.end()) return false;
  *it = std::move(channels.back());
  channels.pop_back();
  return true;
}

void Session::send_close_reason() {
  // lws copies the reason into the close frame it builds; it takes a mutable pointer all the same.
  const std::string& reason = close_reason();
  lws_close_reason(wsi_, static_cast<lws_close_status>(close_code_),
                   reinterpret_cast<unsigned char*>(const_cast<char*>(reason.data())),
                   reason.size());
}

}  // namespace holdfast
