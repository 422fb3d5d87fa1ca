// Listening sockets with SO_REUSEPORT, one per worker, so the kernel spreads connections.
#pragma once

#include <cstdint>
#include <string>

namespace holdfast {

// Binds and listens on host:port. Returns the fd, or -1 with `error` set. When port is 0 the
// chosen port is written back, so the next worker's socket can join it.
int open_listen_socket(const std::string& host, uint16_t& port, std::string& error);

}  // namespace holdfast
