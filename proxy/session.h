// One client connection. Owned by the worker whose loop accepted it, for its whole life; only
// that thread touches it. libwebsockets callbacks are forwarded here from ws_protocol.cc.
#pragma once

#include <libwebsockets.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "filters/filter.h"
#include "proxy/bus/bus.h"
#include "proxy/contract.h"
#include "proxy/filter_chain.h"
#include "proxy/frame.h"
#include "proxy/message_buffer.h"
#include "proxy/outbound_queue.h"
#include "proxy/route_binding.h"
#include "proxy/util/ids.h"
#include "proxy/util/trace.h"

namespace holdfast {

class Worker;
struct RouteStats;
struct BoundTarget;  // a bus target for one connection (session.cc)

using Clock = std::chrono::steady_clock;

// Whether an lws callback should go on (0) or have libwebsockets close the connection (-1).
enum class CallbackResult { Continue = 0, Close = -1 };

class Session {
 public:
  struct Init {
    lws* wsi = nullptr;
    RouteRef binding;  // never null; its chain may be empty
    std::vector<std::string> params;
    std::string peer;
    std::string client_ip;    // the peer, or the client named by a trusted X-Forwarded-For
    std::string traceparent;  // from the upgrade request, may be empty
  };

  Session(Worker& worker, Init init);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Admission. With no filters the worker calls admit() at once. Otherwise start_filters()
  // runs the upgrade hooks: false means refused (`rejection` says why; the caller answers over
  // HTTP and deletes the session); true means admitted, or held until a filter resumes.
  bool chain_empty() const { return chain().empty(); }
  bool start_filters(const filters::Request& req, filters::Rejection& rejection);
  void admit();
  // A deferred filter hook finished (from Worker::resume).
  void resume(const filters::Pending& pending, const filters::Rejection* rejection);

  // libwebsockets events.
  void on_established();
  CallbackResult on_receive(const void* in, size_t len);
  CallbackResult on_writable();
  // From Worker at the end of the loop turn in which send() queued the first message.
  void flush();
  void on_peer_close(const void* in, size_t len);
  void on_pong() { last_rx_ = Clock::now(); }
  // No frame is part read, so libwebsockets' receive buffer holds nothing live.
  bool between_frames() const { return !closed_ && lws_remaining_packet_payload(wsi_) == 0; }
  void on_closed();

  // From the bus: `bytes` of this connection's messages were acknowledged, or failed.
  void on_bus_ack(size_t bytes);
  void on_bus_failure(size_t bytes, int close_code, std::string_view reason);
  // The bus could not take a message right now; keep it and try again shortly.
  void on_bus_busy();
  bool retry_stalled();

  // Outbound.
  void send(const FrameRef& frame);
  // A reply addressed to this connection arrived: closes the round trip of the oldest message
  // still waiting for one.
  void on_reply(Clock::time_point now);
  void close(int code, std::string_view reason);

  // Once a second: keepalive, idle and bus timeouts.
  void tick(Clock::time_point now);

  // Drain: stop reading, then close with 1001.
  void pause_reading();
  // The loop turn in which this connection used up its read budget has ended (read_budget.h).
  void resume_reading();

  std::string_view id() const { return id_; }
  // The route's user template rendered for this connection, or else the authenticated subject.
  const std::string& user() const;
  const std::vector<std::string>& channels() const;
  bool established() const { return established_; }
  bool open() const { return open_; }  // established and admitted: indexed, events produced
  size_t inflight() const { return inflight_; }
  size_t stats_slot() const { return binding_->stats_slot; }
  uint64_t handle() const { return conn_.handle; }
  void set_handle(uint64_t h) { conn_.handle = h; }
  lws* wsi() const { return wsi_; }

  bool join(const std::string& channel);
  bool leave(const std::string& channel);

 private:
  CallbackResult deliver_message();
  // The message in rx_ after the filters passed it: to the bus, or echoed.
  CallbackResult forward_message();
  // Runs on_message from filter `from`; Continue when the message may go on.
  CallbackResult filter_message(size_t from);
  void refuse_message(size_t filter, const filters::Rejection& r);
  // Writes one frame and counts it; false when lws could not take it.
  bool write_frame(Frame& f);
  // Writes queued frames, several to a write where they are small, until the queue is empty or
  // lws holds back part of a write; false when the connection failed.
  bool write_queued();
  void count_out(const Frame& f);
  void maybe_open();
  void continue_upgrade(size_t from);
  // Runs the upgrade hooks from filter `from` on (FilterChain::upgrade), counting those passed.
  FilterChain::Outcome run_upgrade(const filters::Request& req, size_t from, size_t& at,
                                   filters::Rejection& rejection);
  // Hands the close code and reason to lws for the close frame.
  void send_close_reason();
  CallbackResult fail(int code, std::string_view reason);
  contract::Event make_event(std::string_view type);
  // What templates render with for this connection: path parameters (until it opens), id, user,
  // claims.
  config::TemplateContext template_context() const;
  // Where the service replies: the route's Kafka reply topic, this connection's Redis reply
  // channel, or nothing.
  std::string_view reply_to() const;
  void produce_event(std::string_view type);
  void update_flow();
  RouteStats& stats();
  const config::RouteConfig& route() const { return *binding_->route; }
  FilterChain& chain() const { return binding_->chain; }
  // The transport peer: kept apart only when a trusted X-Forwarded-For named another client.
  const std::string& peer() const;
  const std::string& close_reason() const;
  void set_close_reason(std::string_view reason);
  // The trace id in hex, for log lines; rendered when needed rather than kept per connection.
  struct TraceHex {
    char text[33];
    operator std::string_view() const { return {text, 32}; }
  };
  TraceHex trace_hex() const;

  // Members are ordered to pack: an idle connection holds little else, so its size is most of
  // what each connection costs. Workers make sessions in blocks of exactly this size
  // (util::BlockPool); session.cc asserts it stays within 392 bytes.
  Worker& worker_;
  lws* wsi_;
  RouteRef binding_;          // the route, its filters on this worker and its counters' slot
  filters::Connection conn_;  // also holds the handle: Worker's slot and generation
  FilterStates filter_states_;
  // Path parameters, for routes that have them, until the connection opens.
  std::unique_ptr<const std::vector<std::string>> params_;
  util::ConnectionId id_;
  // Where messages go (bus routes only) and where connect and disconnect events go (routes with
  // `events` only), so that other routes do not carry their names.
  std::unique_ptr<BoundTarget> upstream_;
  std::unique_ptr<BoundTarget> events_;
  // <prefix>conn:<id>, for routes whose replies come through Redis; set once, on admission.
  std::unique_ptr<const std::string> reply_channel_;
  // What most connections never need, made the first time one of its parts is set (extra()).
  struct Extra;
  std::unique_ptr<Extra> extra_;
  Extra& extra();
  // An upgrade hook deferred: the request it will need to go on with, and since when (in Extra).
  struct HeldRequest;
  HeldRequest* held_request() const;
  util::TraceContext trace_{};
  bool trace_from_client_ : 1 = false;  // the upgrade carried a traceparent
  bool admitted_ : 1 = false;
  bool open_ : 1 = false;
  bool message_held_ : 1 = false;  // rx_ waits for a deferred on_message
  // Dropped messages are each counted, but the client is told at most once a second while it
  // stays over its limit, so a flood costs no write per dropped message.
  bool dropping_ : 1 = false;
  bool rx_binary_ : 1 = false;
  bool rx_open_ : 1 = false;     // a message has begun and not yet ended
  bool rx_stalled_ : 1 = false;  // a complete message waits for the bus to take it
  bool paused_ : 1 = false;
  bool draining_ : 1 = false;
  bool ping_due_ : 1 = false;
  // The kernel could not say when the peer last sent anything, so pings carry a payload: lws
  // reports a pong only when it has one.
  bool ping_payload_ : 1 = false;
  // out_ is written at the end of this loop turn (Worker::flush_later).
  bool flush_due_ : 1 = false;
  bool established_ : 1 = false;
  bool closing_ : 1 = false;
  bool kill_ : 1 = false;
  bool close_sent_ : 1 = false;
  bool closed_ : 1 = false;
  uint16_t close_code_ = 0;
  uint16_t filters_passed_ = 0;  // filters whose on_upgrade let the connection in
  uint64_t seq_ = 0;

  // Inbound: reassembly and the bytes the bus has not yet acknowledged.
  MessageBuffer rx_;
  size_t inflight_ = 0;
  Clock::time_point bus_waiting_since_{};
  Clock::time_point awaiting_reply_since_{};  // a message went to the bus and no reply came yet

  // Outbound.
  OutboundQueue out_;

  // Lifetime.
  Clock::time_point opened_;
  Clock::time_point last_rx_;
  Clock::time_point last_message_;
  uint64_t messages_in_ = 0, messages_out_ = 0, bytes_in_ = 0, bytes_out_ = 0;
};

}  // namespace holdfast
