// Plain POSIX socket helpers shared by the test clients.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace holdfast::test {

using Millis = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Milliseconds left until `deadline`, at least 0, for poll().
int millis_left(Clock::time_point deadline);

// A non-blocking TCP socket connected to host:port (IPv4 dotted or a name), with TCP_NODELAY.
// `rcvbuf` > 0 sets SO_RCVBUF before connecting, so the window is small from the start.
// Returns -1 and sets `error` on failure.
int connect_tcp(const std::string& host, int port, Millis timeout, int rcvbuf, std::string& error);

// Writes every byte of `bytes` to a non-blocking socket before `deadline`. False on error or
// timeout. Never raises SIGPIPE.
bool write_all(int fd, std::string_view bytes, Clock::time_point deadline);

// A loopback port that was free a moment ago.
int free_loopback_port();

// Case-insensitive ASCII comparison, for header names.
bool iequals(std::string_view a, std::string_view b);

// The value of the first header named `name` (case-insensitive).
std::optional<std::string> find_header(const Headers& headers, std::string_view name);

// An HTTP response: status line, headers and (when read) the body.
struct HttpResponse {
  int status = 0;  // 0 when no response arrived
  std::string reason;
  Headers headers;
  std::string body;
  std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

// Parses a status line and headers ending in CRLF CRLF. False when malformed.
bool parse_http_head(std::string_view head, HttpResponse& out);

// GET http://host:port/path with HTTP/1.1 and "Connection: close"; reads to the end of the body
// (Content-Length, chunked, or EOF). status is 0 on any failure.
HttpResponse http_get(const std::string& host, int port, const std::string& path,
                      Millis timeout = Millis(5000));

}  // namespace holdfast::test
