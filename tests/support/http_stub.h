// A tiny HTTP/1.1 server on a loopback port, for serving a JWKS to the proxy in tests. Every
// request gets the current status and body; requests are counted. It can be stopped (the port
// then refuses connections) and started again on the same port.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "tests/support/net.h"

namespace holdfast::test {

class HttpStub {
 public:
  // Binds 127.0.0.1 on a free port and starts serving. Throws std::runtime_error on failure.
  HttpStub();
  ~HttpStub();
  HttpStub(const HttpStub&) = delete;
  HttpStub& operator=(const HttpStub&) = delete;

  int port() const { return port_; }
  std::string url(std::string_view path = "/jwks.json") const;

  void set_response(int status, std::string body);
  // Requests answered so far.
  size_t requests() const;
  // Waits until more than `count` requests have been answered; false after `timeout`.
  bool wait_requests_above(size_t count, Millis timeout) const;

  // Closes the listening socket and waits for the server thread.
  void stop();
  // Listens again on the same port.
  void start();

 private:
  void serve(int listen_fd, int stop_fd);
  void answer(int fd);

  int port_ = 0;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  int status_ = 200;
  std::string body_;
  size_t requests_ = 0;
};

}  // namespace holdfast::test
