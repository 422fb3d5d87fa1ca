#include "proxy/ws_protocol.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "proxy/log.h"
#include "proxy/lws_allocator.h"
#include "proxy/session.h"
#include "proxy/tls_certificates.h"
#include "proxy/worker.h"

namespace holdfast::ws {
namespace {

constexpr char kProtocolName[] = "holdfast";

// lws allocates each connection's receive buffer as rx_buffer_size plus LWS_PRE and 4 bytes, and
// reads at most rx_buffer_size plus LWS_PRE bytes per wake-up: the allocation less 4. A
// listener's `receive_buffer` is the whole allocation.
constexpr size_t kRxBufferTail = 4;
constexpr size_t kRxBufferOverhead = LWS_PRE + kRxBufferTail;

// The most plaintext one TLS record carries.
constexpr size_t kTlsRecordPlaintext = 16384;

// A TLS listener reads at least a whole record at a time. When a connection stops being read
// (backpressure, a drain, its turn's read budget) with part of a record still inside OpenSSL,
// libwebsockets 4.1 loops for ever: it goes back for the record's rest, finds first the bytes it
// kept for the connection, and keeps them again, without end. Reading whole records leaves none
// inside OpenSSL. The buffer's pages cost an idle connection nothing (receive_buffers.h).
size_t receive_buffer(const config::ListenerConfig& lc) {
  if (!lc.tls) return lc.receive_buffer;
  return std::max(lc.receive_buffer, kTlsRecordPlaintext + kRxBufferTail);
}

struct VhostData {
  Worker* worker;
  size_t listener;
  SSL_CTX* ssl_ctx;  // a TLS listener's server context, kept to load a renewed certificate
};

// libwebsockets hands each TLS vhost's server context to the protocol callback while it makes
// the vhost; create_context takes it from here right after.
thread_local SSL_CTX* t_new_server_ctx = nullptr;

const char* status_text(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

}  // namespace

int reject(lws* wsi, unsigned status, std::string_view extra_headers, std::string_view body) {
  // Written whole, so the status line is HTTP/1.1 whatever lws has parsed so far.
  std::string out(LWS_PRE, '\0');
  out += "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n";
  out += "content-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
         "\r\nconnection: close\r\n";
  out.append(extra_headers);
  out += "\r\n";
  out.append(body);
  const size_t len = out.size() - LWS_PRE;
  if (lws_write(wsi, reinterpret_cast<unsigned char*>(out.data()) + LWS_PRE, len,
                LWS_WRITE_HTTP_FINAL) < static_cast<int>(len)) {
    return -1;
  }
  return 1;
}

namespace {

Session* session_of(lws* wsi) {
  return static_cast<Session*>(lws_get_opaque_user_data(wsi));
}

int callback(lws* wsi, enum lws_callback_reasons reason, void* user, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
      if (in == nullptr || std::strcmp(static_cast<const char*>(in), "websocket") != 0) return -1;
      auto* vd = static_cast<VhostData*>(
          lws_protocol_vh_priv_get(lws_get_vhost(wsi), lws_get_protocol(wsi)));
      if (vd == nullptr) return -1;
      auto up = vd->worker->on_upgrade(wsi, vd->listener);
      if (up.session == nullptr) {
        if (up.refusal.status == 0) {
          return reject(wsi, 404, "",
                        R"({"error":"not_found","message":"no route for this path"})");
        }
        return reject(wsi, up.refusal.status, up.refusal.headers, up.refusal.body);
      }
      lws_set_opaque_user_data(wsi, up.session);
      return 0;
    }
    case LWS_CALLBACK_HTTP:
      // A plain HTTP request: WebSocket routes only.
      if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, nullptr)) return -1;
      return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_ESTABLISHED:
      if (Session* s = session_of(wsi)) s->on_established();
      return 0;
    case LWS_CALLBACK_RECEIVE:
      if (Session* s = session_of(wsi)) return static_cast<int>(s->on_receive(in, len));
      return -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (Session* s = session_of(wsi)) return static_cast<int>(s->on_writable());
      return 0;
    case LWS_CALLBACK_RECEIVE_PONG:
      if (Session* s = session_of(wsi)) s->on_pong();
      return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (Session* s = session_of(wsi)) s->on_peer_close(in, len);
      return 0;
    case LWS_CALLBACK_CLOSED:
      if (Session* s = session_of(wsi)) s->on_closed();
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      if (Session* s = session_of(wsi)) {
        lws_set_opaque_user_data(wsi, nullptr);
        s->on_closed();
        auto* vd = static_cast<VhostData*>(
            lws_protocol_vh_priv_get(lws_get_vhost(wsi), lws_get_protocol(wsi)));
        if (vd != nullptr) vd->worker->forget(s);
      }
      return 0;
    case LWS_CALLBACK_PROTOCOL_DESTROY:
      return 0;
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
      t_new_server_ctx = static_cast<SSL_CTX*>(user);
      return 0;
    default:
      return 0;
  }
}

// The most lws hands to one send(). Left at 0, it would be the receive buffer, so every write
// larger than that (a large message, or a batch of small ones) would be cut into pieces of that
// size, the rest copied aside and sent on later loop turns, each after a POLLOUT round trip.
constexpr size_t kTxPacketSize = size_t{1} << 20;

// The one protocol, as a listener's vhost serves it; lws copies the array into the vhost.
std::array<lws_protocols, 2> protocols_for(const config::ListenerConfig& lc) {
  return {{{kProtocolName, callback, 0, receive_buffer(lc) - kRxBufferOverhead, 0, nullptr,
            kTxPacketSize},
           {nullptr, nullptr, 0, 0, 0, nullptr, 0}}};
}

// No validity timer of lws's own: holdfast's keepalive pings and hangs up instead. By default lws
// would also ping every connection after 300 s without a pong, and to do so keeps one timer per
// connection in a sorted list that each new connection walks to its end: with 10,000 held
// connections, that walk was a third of the worker's CPU while clients connected.
constexpr lws_retry_bo_t kNoValidityTimer = {};

// Where lws looks the vhost's data up (by the protocol's name).
const lws_protocols* protocol_of(lws_vhost* vhost) {
  return lws_vhost_name_to_protocol(vhost, kProtocolName);
}

void log_emit(int level, const char* line) {
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  if (level & LLL_ERR) {
    log::error("libwebsockets", {{"component", "lws"}, {"detail", text}});
  } else {
    log::warn("libwebsockets", {{"component", "lws"}, {"detail", text}});
  }
}

}  // namespace

bool create_context(Worker& worker, std::vector<lws_vhost*>& vhosts, lws_context*& context) {
  lws_set_log_level(LLL_ERR | LLL_WARN, log_emit);
  install_lws_allocator();
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  void* loops[1] = {worker.loop()};
  info.foreign_loops = loops;
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                 LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
  info.count_threads = 1;
  // Room for a large token in a header or the query; the header buffer exists only during
  // the handshake, so idle connections do not pay for it.
  info.max_http_header_data = 16384;
  // One per worker: lws reads into it, at most a listener's receive buffer at a time.
  info.pt_serv_buf_size = 4096;
  for (const auto& l : worker.runtime().listeners)
    info.pt_serv_buf_size =
        std::max<unsigned>(info.pt_serv_buf_size, static_cast<unsigned>(receive_buffer(*l.config)));
  info.pcontext = &context;  // libwebsockets clears it once the context is wholly freed
  context = lws_create_context(&info);
  lws_context* ctx = context;
  if (ctx == nullptr) {
    log::error("libwebsockets context not created", {{"worker", worker.index()}});
    return false;
  }
  const auto& rt = worker.runtime();
  for (size_t l = 0; l < rt.listeners.size(); ++l) {
    const auto& lc = *rt.listeners[l].config;
    lws_context_creation_info vi;
    std::memset(&vi, 0, sizeof vi);
    vi.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    const auto protocols = protocols_for(lc);
    vi.protocols = protocols.data();
    std::string name = "listener" + std::to_string(l);
    vi.vhost_name = name.c_str();
    vi.options = LWS_SERVER_OPTION_LIBUV;
    vi.retry_and_idle_policy = &kNoValidityTimer;
    if (lc.tls) {
      vi.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
      vi.ssl_cert_filepath = lc.tls->cert.c_str();
      vi.ssl_private_key_filepath = lc.tls->key.c_str();
    }
    t_new_server_ctx = nullptr;
    lws_vhost* vh = lws_create_vhost(ctx, &vi);
    if (vh == nullptr) {
      log::error("libwebsockets vhost not created",
                 {{"worker", worker.index()}, {"listener", static_cast<uint64_t>(l)}});
      lws_context_destroy(ctx);
      context = nullptr;
      return false;
    }
    auto* vd = static_cast<VhostData*>(
        lws_protocol_vh_priv_zalloc(vh, protocol_of(vh), sizeof(VhostData)));
    vd->worker = &worker;
    vd->listener = l;
    vd->ssl_ctx = lc.tls ? t_new_server_ctx : nullptr;
    if (lc.tls && vd->ssl_ctx == nullptr) {
      log::warn("TLS context not found; a reload will not renew this listener's certificate",
                {{"worker", worker.index()}, {"listener", static_cast<uint64_t>(l)}});
    }
    vhosts.push_back(vh);
  }
  return true;
}

bool reload_certificate(lws_vhost* vhost, const std::string& cert, const std::string& key,
                        std::string& error) {
  auto* vd = static_cast<VhostData*>(lws_protocol_vh_priv_get(vhost, protocol_of(vhost)));
  if (vd == nullptr || vd->ssl_ctx == nullptr) {
    error = "no TLS context for this listener";
    return false;
  }
  return load_certificate_pair(vd->ssl_ctx, cert, key, error);
}

void destroy_context(lws_context* context) {
  if (context != nullptr) lws_context_destroy(context);
}

bool adopt(lws_vhost* vhost, int fd, bool tls) {
  lws_sock_file_fd_type desc;
  desc.sockfd = fd;
  int type = LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP;
  if (tls) type |= LWS_ADOPT_ALLOW_SSL;
  return lws_adopt_descriptor_vhost(vhost, static_cast<lws_adoption_type>(type), desc, nullptr,
                                    nullptr) != nullptr;
}

std::string request_path(lws* wsi) {
  const int n = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
  if (n <= 0) return {};
  std::string s(static_cast<size_t>(n) + 1, '\0');
  const int got = lws_hdr_copy(wsi, s.data(), n + 1, WSI_TOKEN_GET_URI);
  s.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return s;
}

namespace {

void copy_header(lws* wsi, lws_token_indexes token, std::string& out) {
  out.clear();
  const int n = lws_hdr_total_length(wsi, token);
  if (n <= 0) return;
  out.resize(static_cast<size_t>(n) + 1);
  const int got = lws_hdr_copy(wsi, out.data(), n + 1, token);
  out.resize(got > 0 ? static_cast<size_t>(got) : 0);
}

}  // namespace

void read_request(lws* wsi, RequestText& out) {
  out.query.clear();
  const int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
  if (total > 0) {
    std::string buf(static_cast<size_t>(total) + 1, '\0');
    for (int i = 0;; ++i) {
      const int n = lws_hdr_copy_fragment(wsi, buf.data(), total + 1, WSI_TOKEN_HTTP_URI_ARGS, i);
      if (n < 0) break;
      if (i > 0) out.query += '&';
      out.query.append(buf.data(), static_cast<size_t>(n));
    }
  }
  copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, out.authorization);
  copy_header(wsi, WSI_TOKEN_ORIGIN, out.origin);
  copy_header(wsi, WSI_TOKEN_HTTP_COOKIE, out.cookie);
  copy_header(wsi, WSI_TOKEN_PROTOCOL, out.protocols);
  copy_header(wsi, WSI_TOKEN_HOST, out.host);
  copy_header(wsi, WSI_TOKEN_X_FORWARDED_FOR, out.forwarded_for);
}

std::string subprotocols(lws* wsi) {
  std::string out;
  copy_header(wsi, WSI_TOKEN_PROTOCOL, out);
  return out;
}

std::string peer_address(lws* wsi) {
  char buf[64];
  const char* p = lws_get_peer_simple(wsi, buf, sizeof buf);
  return p != nullptr ? std::string(p) : std::string();
}

std::optional<std::chrono::milliseconds> since_last_received(lws* wsi) {
  const int fd = lws_get_socket_fd(wsi);
  tcp_info info{};
  socklen_t len = sizeof info;
  if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  return std::chrono::milliseconds(info.tcpi_last_data_recv);
}

std::string header(lws* wsi, const char* name) {
  const int n = lws_hdr_custom_length(wsi, name, static_cast<int>(std::strlen(name)));
  if (n <= 0) return {};
  std::string s(static_cast<size_t>(n) + 1, '\0');
  const int got =
      lws_hdr_custom_copy(wsi, s.data(), n + 1, name, static_cast<int>(std::strlen(name)));
  s.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return s;
}

}  // namespace holdfast::ws
