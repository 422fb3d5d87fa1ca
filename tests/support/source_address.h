// Connections from a chosen local address, so a test can be two clients: every 127.x.y.z
// address reaches the loopback, and the proxy sees each as its own client IP.
#pragma once

#include <string>

#include "tests/support/net.h"

namespace holdfast::test {

// A blocking-connect TCP socket to host:port bound to `source` (IPv4), left non-blocking.
// Returns -1 and sets `error` on failure.
int connect_tcp_from(const std::string& source, const std::string& host, int port, Millis timeout,
                     std::string& error);

// One WebSocket upgrade request sent from `source`: the HTTP answer (its body when it has a
// Content-Length), with the socket held open until this is destroyed. Nothing is read after the
// answer, so a 101 leaves an open connection that says nothing.
class UpgradeFrom {
 public:
  UpgradeFrom(const std::string& source, const std::string& host, int port, const std::string& path,
              Millis timeout = Millis(5000));
  ~UpgradeFrom();
  UpgradeFrom(const UpgradeFrom&) = delete;
  UpgradeFrom& operator=(const UpgradeFrom&) = delete;

  const HttpResponse& response() const { return response_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  HttpResponse response_;
  std::string error_;
};

}  // namespace holdfast::test
