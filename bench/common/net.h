// Client sockets for the benchmark tools.
#pragma once

#include <cstdint>
#include <string>

namespace hfbench {

// A TCP socket bound to source address src_base + index % src_count (127.0.0.2, 127.0.0.3, ...:
// many connections without running out of ephemeral ports) and connecting to host:port: a
// non-blocking socket with its connect started, or with `blocking`, a blocking one connected.
// TCP_NODELAY is set. Returns -1 with errno set on failure.
int ConnectFrom(const std::string& src_base, int src_count, uint32_t index, const std::string& host,
                int port, bool blocking = false);

}  // namespace hfbench
