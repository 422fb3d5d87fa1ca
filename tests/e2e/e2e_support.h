// Helpers shared by the end-to-end tests: config text, connections, and checks on what the
// proxy writes.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/env.h"
#include "tests/support/holdfast_process.h"
#include "tests/support/ws_client.h"

namespace holdfast::test::e2e {

// Replaces every @NAME@ in `text` with vars["NAME"]; @KAFKA@ and @REDIS@ default to the test
// buses. Throws when a placeholder has no value, so a typo cannot pass silently.
std::string fill(std::string_view text, std::map<std::string, std::string> vars);

// Connects to the first listener of `proxy`; REQUIREs the upgrade to succeed.
std::unique_ptr<WsClient> open_ws(const HoldfastProcess& proxy, const std::string& path,
                                  const WsClient::Options& options = {});

// "seq-0000042" and back; -1 when `text` is not such a payload.
std::string seq_payload(int n);
int seq_number(std::string_view text);

// 2024-05-01T12:00:00Z or with fractional seconds, and within a minute of now.
bool is_recent_rfc3339_utc(std::string_view text);
// W3C traceparent, version 00, with non-zero trace and parent ids.
bool is_traceparent(std::string_view text);

// Checks a delivered sequence of numbers against 0..count-1, allowing what a re-send after a
// lost connection produces and nothing else: the first appearances are exactly 0..count-1 in
// order, and a repeat is a run v, v+1, ... that goes on up to the newest number seen (the
// unacknowledged tail, written again). "5 6 7 5 6 7 8" passes; "5 6 7 5 8", "5 7" and
// "0..9 3" do not. Returns "" when it holds, else what broke; `duplicates` counts the repeats.
std::string check_in_order_at_least_once(const std::vector<int>& got, int count,
                                         size_t& duplicates);

// Sends a burst of messages in one TCP write to an echo route: sizes on each side of the frame
// header's boundaries (125/126, 65535/65536) and of the proxy's batching (4096), more than one
// batch of small ones, text and binary. The echoes come back within a few loop turns, so several
// share a write. REQUIREs every echo to arrive whole, in order and with its own opcode.
void check_burst_echo(WsClient& ws);

// Sends 200 messages of 300 bytes in one TCP write to a route whose upstream is the Redis stream
// `stream` and whose max_inflight_bytes is 1 KiB, so the connection is paused within the write
// and read again as the bus acknowledges. REQUIREs every message in the stream, in order.
void check_paused_burst_reaches_stream(WsClient& ws, const std::string& stream);

// Deletes a Redis key when the test ends, passed or failed, so repeated runs leave nothing behind.
struct DeleteKeyAtEnd {
  std::string key;
  ~DeleteKeyAtEnd();
};

// Addressed delivery: named clients, and what each received in one round.
struct NamedClient {
  std::string name;
  std::unique_ptr<WsClient> ws;
  std::string id;  // its connection id
};
using Deliveries = std::map<std::string, std::multiset<std::string>>;

// Reads each client's messages up to `sentinel`, which the caller sent to every client after the
// round's messages. REQUIREs every client to reach it, with only text messages before.
Deliveries receive_until(std::vector<NamedClient>& clients, const std::string& sentinel);
// `some`, plus an empty entry for every other client: what a round should deliver.
Deliveries expect_only(const std::vector<NamedClient>& clients, const Deliveries& some);

}  // namespace holdfast::test::e2e
