// Client sockets for the benchmark tools.
#pragma once

#include <cstdint>
#include <string>

namespace hfbench {

// A non-blocking TCP socket bound to source address src_base + index % src_count (127.0.0.2,
// 127.0.0.3, ...: many connections without running out of ephemeral ports) with its connect to
// host:port started. TCP_NODELAY is set. Returns -1 with errno set on failure.
int ConnectFrom(const std::string& src_base, int src_count, uint32_t index, const std::string& host,
                int port);

}  // namespace hfbench
