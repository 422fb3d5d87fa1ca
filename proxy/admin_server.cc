#include "proxy/admin_server.h"

#include <cstring>
#include <memory>

namespace holdfast {
namespace {

constexpr size_t kMaxRequest = 8192;

struct Conn {
  uv_tcp_t tcp;
  AdminServer::Handler* handler;
  std::string request;
  std::string response;
  uv_write_t write;
  bool answered = false;
};

void close_conn(Conn* c) {
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
           [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

void answer(Conn* c) {
  c->answered = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
  AdminResponse r;
  const std::string& req = c->request;
  const size_t sp1 = req.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? std::string::npos : req.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) {
    r.status = 400;
    r.body = "bad request\n";
  } else if (req.compare(0, sp1, "GET") != 0) {
    r.status = 405;
    r.body = "only GET\n";
  } else {
    std::string_view path(req.data() + sp1 + 1, sp2 - sp1 - 1);
    const size_t q = path.find('?');
    if (q != std::string_view::npos) path = path.substr(0, q);
    r = (*c->handler)(path);
  }
  c->response = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) +
                "\r\nContent-Type: " + r.content_type +
                "\r\nContent-Length: " + std::to_string(r.body.size()) +
                "\r\nConnection: close\r\n\r\n" + r.body;
  uv_buf_t buf = uv_buf_init(c->response.data(), static_cast<unsigned>(c->response.size()));
  c->write.data = c;
  uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1,
           [](uv_write_t* w, int) { close_conn(static_cast<Conn*>(w->data)); });
}

}  // namespace

bool AdminServer::listen(const std::string& host, uint16_t& port, std::string& error) {
  sockaddr_storage addr{};
  const std::string bare =
      host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  if (uv_ip4_addr(bare.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(bare.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    error = "admin address must be a numeric IP address, got '" + host + "'";
    return false;
  }
  tcp_ = new uv_tcp_t;
  uv_tcp_init(loop_, tcp_);
  tcp_->data = this;
  int rc = uv_tcp_bind(tcp_, reinterpret_cast<sockaddr*>(&addr), 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp_), 128, &AdminServer::on_connection);
  if (rc != 0) {
    error = "cannot listen on admin address " + host + ":" + std::to_string(port) + ": " +
            uv_strerror(rc);
    close();
    return false;
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(tcp_, reinterpret_cast<sockaddr*>(&bound), &len);
  port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return true;
}

void AdminServer::close() {
  if (tcp_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(tcp_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  tcp_ = nullptr;
}

void AdminServer::on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* self = static_cast<AdminServer*>(server->data);
  auto* c = new Conn;
  c->handler = &self->handler_;
  uv_tcp_init(self->loop_, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    close_conn(c);
    return;
  }
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static thread_local char chunk[2048];
        *buf = uv_buf_init(chunk, sizeof chunk);
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
        auto* conn = static_cast<Conn*>(s->data);
        if (conn->answered) return;
        if (n < 0) {
          close_conn(conn);
          return;
        }
        conn->request.append(buf->base, static_cast<size_t>(n));
        if (conn->request.find("\r\n\r\n") != std::string::npos ||
            conn->request.size() > kMaxRequest) {
          answer(conn);
        }
      });
}

}  // namespace holdfast
