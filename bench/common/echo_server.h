// A minimal epoll WebSocket echo server: handshake, unmasking, echo. hf-floor runs it as the floor
// of the machine; the load generator's self test runs it in a thread with one fault injected.
// With a feed, it is also the floor of fan-out: every message published to one Redis channel goes
// to every connection, one write per connection for what one read of the feed brought.
#pragma once

#include <atomic>
#include <string_view>
#include <vector>

namespace hfbench {

enum class Fault {
  kNone,
  kDrop,         // one data message is never echoed
  kReorder,      // two consecutive data messages of one connection are echoed swapped
  kMisroute,     // one data message is echoed to another connection
  kDuplicate,    // one data message is echoed twice
  kCorrupt,      // one data message is echoed with its last byte changed
  kDropPong,     // the first ping is never answered
  kCorruptPong,  // the first ping is answered with its last byte changed
};

// Opens a listening TCP socket on host:port (port 0 picks one). Returns the fd or -1.
int ListenTcp(const char* host, int port, int backlog);

// The port a bound socket listens on.
int BoundPort(int fd);

// Serves on listen_fd until *stop becomes true (checked at least every 50 ms).
// The fault, if any, hits the 10th data message that arrives; a pong fault, the first ping. `feed`,
// when not -1, is a non-blocking socket to Redis on which SUBSCRIBE has been sent; the server stops
// when it closes. A fault other than kMisroute also hits the 10th message fed, at one connection.
void RunEchoServer(int listen_fd, Fault fault, const std::atomic<bool>* stop, int feed = -1);

// One RESP array of bulk strings and integers from `buf` at `pos`, such as a Redis pub/sub push
// (`message`, channel, payload) or a command. False, with `pos` unchanged, when it is not all
// there yet or is not such an array.
bool ParseRespArray(std::string_view buf, size_t& pos, std::vector<std::string_view>& parts);

}  // namespace hfbench
