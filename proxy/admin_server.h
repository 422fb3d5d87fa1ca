// A small HTTP/1.1 server on the main loop for /healthz, /readyz and /metrics. One request per
// connection; the answer closes it.
#pragma once

#include <uv.h>

#include <functional>
#include <string>
#include <string_view>

namespace holdfast {

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class AdminServer {
 public:
  using Handler = std::function<AdminResponse(std::string_view path)>;

  AdminServer(uv_loop_t* loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {}
  // Binds host:port; port 0 picks one, written back. False with `error` set.
  bool listen(const std::string& host, uint16_t& port, std::string& error);
  void close();

 private:
  static void on_connection(uv_stream_t* server, int status);
  uv_loop_t* loop_;
  Handler handler_;
  uv_tcp_t* tcp_ = nullptr;
};

}  // namespace holdfast
