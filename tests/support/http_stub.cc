#include "tests/support/http_stub.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace holdfast::test {
namespace {

int listen_on(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("http stub cannot listen: " + error);
  }
  return fd;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

HttpStub::HttpStub() {
  listen_fd_ = listen_on(0);
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  start();
}

HttpStub::~HttpStub() {
  stop();
}

std::string HttpStub::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void HttpStub::set_response(int status, std::string body) {
  std::lock_guard lock(mu_);
  status_ = status;
  body_ = std::move(body);
}

size_t HttpStub::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

bool HttpStub::wait_requests_above(size_t count, Millis timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_ > count; });
}

void HttpStub::start() {
  if (thread_.joinable()) return;
  if (listen_fd_ < 0) listen_fd_ = listen_on(port_);
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  thread_ = std::thread([this, fd = listen_fd_, stop = stop_pipe_[0]] { serve(fd, stop); });
}

void HttpStub::stop() {
  if (!thread_.joinable()) return;
  const char x = 'x';
  (void)!::write(stop_pipe_[1], &x, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  listen_fd_ = -1;
  stop_pipe_[0] = stop_pipe_[1] = -1;
}

void HttpStub::serve(int listen_fd, int stop_fd) {
  for (;;) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    answer(fd);
    ::close(fd);
  }
}

// Reads the request head (a client sending a body is not expected) and answers it.
void HttpStub::answer(int fd) {
  std::string head;
  char buf[4096];
  const auto deadline = Clock::now() + Millis(2000);
  while (head.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, millis_left(deadline)) <= 0) return;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  std::string response;
  {
    std::lock_guard lock(mu_);
    response =
        "HTTP/1.1 " + std::to_string(status_) + " " + reason(status_) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body_.size()) +
        "\r\nConnection: close\r\n\r\n" + body_;
  }
  write_all(fd, response, Clock::now() + Millis(2000));
  {
    std::lock_guard lock(mu_);
    ++requests_;
  }
  cv_.notify_all();
}

}  // namespace holdfast::test
