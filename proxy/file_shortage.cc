#include "proxy/file_shortage.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace holdfast {
namespace {

constexpr char kRefusal[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\n"
    "Connection: close\r\n\r\n";

int open_spare() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

}  // namespace

FileShortage::FileShortage(uint64_t file_limit)
    : reserve_from_(file_limit > 2 * kReservedFiles ? file_limit - kReservedFiles : file_limit),
      spare_(open_spare()) {}

FileShortage::~FileShortage() {
  if (spare_ >= 0) ::close(spare_);
}

void FileShortage::refuse(int fd) {
  (void)::send(fd, kRefusal, sizeof kRefusal - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
  ++refused_;
}

FileShortage::Outcome FileShortage::refuse_waiting(int listen_fd) {
  if (spare_ < 0) spare_ = open_spare();
  if (spare_ < 0) return Outcome::kNoSpare;
  ::close(spare_);
  const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  const int accept_errno = errno;
  if (fd >= 0) refuse(fd);
  // Another thread may have taken the descriptor meanwhile; then there is no spare until one
  // is free again.
  spare_ = open_spare();
  if (fd >= 0) return Outcome::kRefused;
  if (accept_errno == EMFILE || accept_errno == ENFILE) return Outcome::kNoSpare;
  return Outcome::kNoneWaiting;
}

bool FileShortage::warning_due(uint64_t now_ms, uint64_t* refused) {
  if (warned_ && now_ms - warned_ms_ < 1000) return false;
  warned_ = true;
  warned_ms_ = now_ms;
  *refused = refused_ - refused_at_warning_;
  refused_at_warning_ = refused_;
  return true;
}

}  // namespace holdfast
