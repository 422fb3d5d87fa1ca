// The libwebsockets side of a worker: its context and vhosts on the worker's loop, socket
// adoption, and the one protocol callback, which stays thin and forwards to Session.
#pragma once

#include <libwebsockets.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast {
class Worker;
}

namespace holdfast::ws {

// One vhost per listener, none of which listens: sockets are accepted by the worker and adopted.
// `context` stays set until libwebsockets has freed all of the context, which takes
// destroy_context() and then turns of the loop; libwebsockets clears it then.
bool create_context(Worker& worker, std::vector<lws_vhost*>& vhosts, lws_context*& context);
// One step of destroying the context; the first starts it.
void destroy_context(lws_context* context);
// Loads a TLS listener's certificate chain and key again into its vhost (the worker's thread).
bool reload_certificate(lws_vhost* vhost, const std::string& cert, const std::string& key,
                        std::string& error);
bool adopt(lws_vhost* vhost, int fd, bool tls);

std::string request_path(lws* wsi);

// What the filters read of an upgrade request.
struct RequestText {
  std::string query;  // the arguments, joined with '&'
  std::string authorization, origin, cookie, protocols, host, forwarded_for;
};
void read_request(lws* wsi, RequestText& out);
// The Sec-WebSocket-Protocol header; empty when absent.
std::string subprotocols(lws* wsi);
std::string peer_address(lws* wsi);
// How long ago the peer last sent any bytes, by the kernel's count (TCP_INFO); nothing when the
// socket cannot say. Keepalive reads it because lws 4.1 reports no empty pong.
std::optional<std::chrono::milliseconds> since_last_received(lws* wsi);
// A request header by its lowercase name with the colon, e.g. "traceparent:"; empty if absent.
std::string header(lws* wsi, const char* name);

// Refuses an upgrade with an HTTP status and a JSON body. `extra_headers` is zero or more
// complete "name: value\r\n" lines. Returns the CONFIRM_UPGRADE callback's answer.
int reject(lws* wsi, unsigned status, std::string_view extra_headers, std::string_view body);

}  // namespace holdfast::ws
