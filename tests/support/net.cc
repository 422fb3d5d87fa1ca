#include "tests/support/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace holdfast::test {

int millis_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

int connect_tcp(const std::string& host, int port, Millis timeout, int rcvbuf, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    return -1;
  }
  const int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    ::freeaddrinfo(res);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (rc != 0 && errno != EINPROGRESS) {
    error = "connect " + host + ":" + service + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (rc != 0) {
    pollfd p{fd, POLLOUT, 0};
    const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (n <= 0 || so_error != 0) {
      error = "connect " + host + ":" + service + ": " +
              (n <= 0 ? std::string("timed out") : std::string(std::strerror(so_error)));
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

bool write_all(int fd, std::string_view bytes, Clock::time_point deadline) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      const int left = millis_left(deadline);
      if (left == 0 || ::poll(&p, 1, left) <= 0) return false;
      if ((p.revents & (POLLERR | POLLHUP)) != 0 && (p.revents & POLLOUT) == 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

bool parse_http_head(std::string_view head, HttpResponse& out) {
  size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos) return false;
  const std::string_view status_line = head.substr(0, eol);
  if (status_line.substr(0, 5) != "HTTP/") return false;
  const size_t sp = status_line.find(' ');
  if (sp == std::string_view::npos || sp + 4 > status_line.size()) return false;
  out.status = std::atoi(std::string(status_line.substr(sp + 1, 3)).c_str());
  out.reason = sp + 5 <= status_line.size() ? std::string(status_line.substr(sp + 5)) : "";
  size_t pos = eol + 2;
  while (pos < head.size()) {
    eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.remove_suffix(1);
    out.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return out.status >= 100 && out.status <= 999;
}

namespace {

// Decodes a chunked body; false when it is incomplete or malformed.
bool dechunk(std::string_view in, std::string& out) {
  size_t pos = 0;
  for (;;) {
    const size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) return false;
    const size_t size = std::strtoul(std::string(in.substr(pos, eol - pos)).c_str(), nullptr, 16);
    pos = eol + 2;
    if (size == 0) return true;
    if (pos + size + 2 > in.size()) return false;
    out.append(in.substr(pos, size));
    pos += size + 2;
  }
}

}  // namespace

HttpResponse http_get(const std::string& host, int port, const std::string& path, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  HttpResponse response;
  std::string error;
  const int fd = connect_tcp(host, port, timeout, 0, error);
  if (fd < 0) return response;
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                              std::to_string(port) + "\r\nConnection: close\r\n\r\n";
  std::string in;
  bool eof = false;
  if (write_all(fd, request, deadline)) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) {
        eof = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) break;
      // Stop early once a Content-Length body is complete, for servers that keep the socket.
      const size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        HttpResponse head;
        if (parse_http_head(std::string_view(in).substr(0, end + 4), head)) {
          if (const auto cl = head.header("Content-Length");
              cl && in.size() - end - 4 >= std::strtoul(cl->c_str(), nullptr, 10))
            break;
        }
      }
      pollfd p{fd, POLLIN, 0};
      const int left = millis_left(deadline);
      if (left == 0 || ::poll(&p, 1, left) <= 0) break;
    }
  }
  ::close(fd);
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos ||
      !parse_http_head(std::string_view(in).substr(0, end + 4), response))
    return HttpResponse{};
  const std::string_view body = std::string_view(in).substr(end + 4);
  const auto te = response.header("Transfer-Encoding");
  if (te && iequals(*te, "chunked")) {
    if (!dechunk(body, response.body)) return HttpResponse{};
  } else if (const auto cl = response.header("Content-Length")) {
    const size_t want = std::strtoul(cl->c_str(), nullptr, 10);
    if (body.size() < want) return HttpResponse{};
    response.body = std::string(body.substr(0, want));
  } else {
    if (!eof) return HttpResponse{};
    response.body = std::string(body);
  }
  return response;
}

}  // namespace holdfast::test
