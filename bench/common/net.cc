#include "net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace hfbench {

int ConnectFrom(const std::string& src_base, int src_count, uint32_t index, const std::string& host,
                int port, bool blocking) {
  int fd = socket(AF_INET, SOCK_STREAM | (blocking ? 0 : SOCK_NONBLOCK) | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  sockaddr_in src{}, dst{};
  src.sin_family = dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(port));
  uint32_t spread = static_cast<uint32_t>(src_count > 0 ? src_count : 1);
  bool ok = inet_pton(AF_INET, src_base.c_str(), &src.sin_addr) == 1 &&
            inet_pton(AF_INET, host.c_str(), &dst.sin_addr) == 1;
  if (!ok) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  src.sin_addr.s_addr = htonl(ntohl(src.sin_addr.s_addr) + index % spread);
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0 ||
      (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0 &&
       (blocking || errno != EINPROGRESS))) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

}  // namespace hfbench
