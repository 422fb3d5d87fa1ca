#include "proxy/util/ids.h"

#include <charconv>
#include <cstring>
#include <limits>

#include "proxy/util/random.h"

namespace holdfast::util {
namespace {

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";

bool is_base32(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

struct BootId {
  char text[kBootIdSize];

  BootId() {
    uint64_t bits = 0;
    secure_random(&bits, sizeof bits);
    for (size_t i = 0; i < kBootIdSize; ++i) {
      text[i] = kBase32[bits & 31];
      bits >>= 5;
    }
  }
};

}  // namespace

std::string_view boot_id() {
  static const BootId id;
  return {id.text, kBootIdSize};
}

IdGenerator::IdGenerator(unsigned worker) {
  prefix_.assign(boot_id());
  prefix_ += '-';
  prefix_ += std::to_string(worker);
  prefix_ += '-';
}

ConnectionId IdGenerator::next() {
  char digits[kMaxSeqDigits];
  size_t n = 0;
  uint64_t v = seq_++;
  do {
    digits[n++] = kBase32[v & 31];
    v >>= 5;
  } while (v != 0);
  ConnectionId id;
  std::memcpy(id.text_, prefix_.data(), prefix_.size());
  size_t size = prefix_.size();
  while (n > 0)
    id.text_[size++] = digits[--n];
  id.size_ = static_cast<uint8_t>(size);
  return id;
}

bool parse_connection_id(std::string_view id, std::string_view& boot, unsigned& worker) {
  if (id.size() < kBootIdSize + 4 || id[kBootIdSize] != '-') return false;
  const std::string_view b = id.substr(0, kBootIdSize);
  for (char c : b) {
    if (!is_base32(c)) return false;
  }
  std::string_view rest = id.substr(kBootIdSize + 1);
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  const std::string_view w = rest.substr(0, dash);
  const std::string_view seq = rest.substr(dash + 1);
  if (w.size() > 1 && w[0] == '0') return false;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), value);
  if (ec != std::errc() || end != w.data() + w.size()) return false;
  if (seq.empty() || seq.size() > kMaxSeqDigits || (seq.size() > 1 && seq[0] == 'a')) return false;
  for (char c : seq) {
    if (!is_base32(c)) return false;
  }
  // Thirteen digits carry 65 bits; the top digit may hold only the one that fits in 64.
  if (seq.size() == kMaxSeqDigits && seq[0] > 'p') return false;
  boot = b;
  worker = value;
  return true;
}

}  // namespace holdfast::util
