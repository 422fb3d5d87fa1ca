#include "tests/support/source_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace holdfast::test {

int connect_tcp_from(const std::string& source, const std::string& host, int port, Millis timeout,
                     std::string& error) {
  sockaddr_in from{};
  from.sin_family = AF_INET;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1 ||
      ::inet_pton(AF_INET, host.c_str(), &to.sin_addr) != 1) {
    error = "not IPv4 addresses: " + source + ", " + host;
    return -1;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) {
    error = "bind " + source + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    if (errno != EINPROGRESS) {
      error = "connect: " + std::string(std::strerror(errno));
      ::close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (n <= 0 || so_error != 0) {
      error = "connect: " + (n <= 0 ? std::string("timed out") : std::strerror(so_error));
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

UpgradeFrom::UpgradeFrom(const std::string& source, const std::string& host, int port,
                         const std::string& path, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  fd_ = connect_tcp_from(source, host, port, timeout, error_);
  if (fd_ < 0) return;
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                              std::to_string(port) +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
  if (!write_all(fd_, request, deadline)) {
    error_ = "could not send the request";
    return;
  }
  std::string in;
  size_t head_end = std::string::npos;
  size_t want = 0;
  char buf[4096];
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = in.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        if (!parse_http_head(std::string_view(in).substr(0, head_end + 4), response_)) {
          error_ = "malformed response";
          response_ = HttpResponse{};
          return;
        }
        const auto cl = response_.header("Content-Length");
        want = cl ? std::strtoul(cl->c_str(), nullptr, 10) : 0;
      }
    }
    if (head_end != std::string::npos && in.size() - head_end - 4 >= want) break;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) break;
    pollfd p{fd_, POLLIN, 0};
    const int left = millis_left(deadline);
    if (left == 0 || ::poll(&p, 1, left) <= 0) break;
  }
  if (head_end == std::string::npos) {
    error_ = "no response";
    return;
  }
  response_.body = in.substr(head_end + 4, want);
}

UpgradeFrom::~UpgradeFrom() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace holdfast::test
