// Connection ids: `<boot>-<worker>-<seq>`, unique across instances and restarts, and telling
// the reply router which process and which worker own the connection.
//
//   <boot>    12 characters of lowercase base32 (a-z, 2-7): 60 random bits drawn once per
//             process from the kernel CSPRNG
//   <worker>  the worker index, decimal
//   <seq>     a per-worker counter in lowercase base32, most significant digit first
//
// Ids hold only [a-z0-9-], so they are safe in Kafka headers, Redis channel names and URLs.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace holdfast::util {

inline constexpr size_t kBootIdSize = 12;
inline constexpr size_t kMaxSeqDigits = 13;  // 64 bits in 5-bit digits

// A connection id, held inline so that a connection needs no heap string for it. The longest id
// has the largest worker number and the longest sequence.
class ConnectionId {
 public:
  static constexpr size_t kMaxWorkerDigits = std::numeric_limits<unsigned>::digits10 + 1;
  static constexpr size_t kMaxSize = kBootIdSize + 1 + kMaxWorkerDigits + 1 + kMaxSeqDigits;

  std::string_view view() const { return {text_, size_}; }
  operator std::string_view() const { return view(); }

 private:
  friend class IdGenerator;
  char text_[kMaxSize];
  uint8_t size_ = 0;
};

// This process's `<boot>` prefix. Drawn on the first call; the same for every later call.
std::string_view boot_id();

// Makes the ids of one worker. Not thread-safe: each worker owns its own.
class IdGenerator {
 public:
  explicit IdGenerator(unsigned worker);

  ConnectionId next();
  // "<boot>-<worker>-": what every id this generator makes starts with.
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;  // "<boot>-<worker>-"
  uint64_t seq_ = 0;
};

// Splits a connection id made by IdGenerator. False on anything else: wrong boot length or
// alphabet, a worker that is not a canonical decimal number, a missing or non-canonical
// sequence, extra parts.
bool parse_connection_id(std::string_view id, std::string_view& boot, unsigned& worker);

}  // namespace holdfast::util
