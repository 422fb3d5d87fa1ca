#include "filters/rate_limit/shared_table.h"

#include <bit>

namespace holdfast::filters::rate_limit {
namespace {

// Restarts of one update (an entry was being taken over under it) before it gives up and
// allows, counted as full. Each restart means another thread made progress.
constexpr int kMaxAttempts = 8;

// SipHash-2-4 fed byte by byte, so the tag and the id need not be copied together.
class SipHash {
 public:
  SipHash(uint64_t k0, uint64_t k1)
      : v0_(k0 ^ 0x736f6d6570736575ULL),
        v1_(k1 ^ 0x646f72616e646f6dULL),
        v2_(k0 ^ 0x6c7967656e657261ULL),
        v3_(k1 ^ 0x7465646279746573ULL) {}

  void add(std::string_view bytes) {
    for (const char c : bytes) {
      word_ |= uint64_t{static_cast<unsigned char>(c)} << (8 * (length_ & 7));
      if ((++length_ & 7) == 0) {
        compress(word_);
        word_ = 0;
      }
    }
  }

  uint64_t finish() {
    compress(word_ | (length_ << 56));
    v2_ ^= 0xff;
    for (int i = 0; i < 4; ++i)
      round();
    return v0_ ^ v1_ ^ v2_ ^ v3_;
  }

 private:
  void round() {
    v0_ += v1_;
    v1_ = std::rotl(v1_, 13) ^ v0_;
    v0_ = std::rotl(v0_, 32);
    v2_ += v3_;
    v3_ = std::rotl(v3_, 16) ^ v2_;
    v0_ += v3_;
    v3_ = std::rotl(v3_, 21) ^ v0_;
    v2_ += v1_;
    v1_ = std::rotl(v1_, 17) ^ v2_;
    v2_ = std::rotl(v2_, 32);
  }
  void compress(uint64_t m) {
    v3_ ^= m;
    round();
    round();
    v0_ ^= m;
  }

  uint64_t v0_, v1_, v2_, v3_;
  uint64_t word_ = 0;
  uint64_t length_ = 0;
};

}  // namespace

SharedTable::SharedTable(size_t capacity, uint64_t seed)
    : mask_(std::bit_ceil(std::max(capacity, kProbe)) - 1),
      k0_(seed),
      k1_(seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL) {
  entries_ = std::make_unique<Entry[]>(mask_ + 1);
}

uint64_t SharedTable::hash(std::string_view tag, std::string_view id) const {
  SipHash h(k0_, k1_);
  h.add(tag);
  h.add(std::string_view("\0", 1));
  h.add(id);
  const uint64_t v = h.finish();
  return v == 0 ? 1 : v;
}

SharedTable::Entry* SharedTable::find(uint64_t key, int64_t now, bool& busy) {
  Entry* candidate = nullptr;
  int64_t stale_tat = 0;
  bool empty = false;
  for (size_t i = 0; i < kProbe; ++i) {
    Entry& e = entries_[(key + i) & mask_];
    const uint64_t k = e.key.load();
    if (k == key) return &e;
    if (k == 0) {
      if (candidate == nullptr) {
        candidate = &e;
        empty = true;
      }
      break;  // entries never become empty again, so the key is not further on
    }
    const int64_t t = e.tat.load();
    if (t == kClaimed) {
      busy = true;  // it may be turning into this key
    } else if (candidate == nullptr && t < now) {
      candidate = &e;
      stale_tat = t;
    }
  }
  if (busy || candidate == nullptr) return nullptr;
  if (empty) {
    uint64_t expected = 0;
    if (candidate->key.compare_exchange_strong(expected, key) || expected == key) return candidate;
    busy = true;
    return nullptr;
  }
  // Take the stale entry over: only one thread can move its tat to the sentinel, and while it is
  // there nobody else trusts the entry.
  if (!candidate->tat.compare_exchange_strong(stale_tat, kClaimed)) {
    busy = true;
    return nullptr;
  }
  candidate->key.store(key);
  candidate->tat.store(0);
  return candidate;
}

SharedTable::Result SharedTable::update(uint64_t key, int64_t now, const Limit& limit,
                                        uint64_t cost) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    bool busy = false;
    Entry* e = find(key, now, busy);
    if (e == nullptr) {
      if (busy) continue;
      break;
    }
    int64_t tat = e->tat.load();
    for (;;) {
      if (tat == kClaimed) break;  // being taken over: look again
      const Answer a = decide(tat, now, limit, cost);
      if (!a.allowed) {
        if (e->key.load() != key) break;  // the state read was another key's
        return Result{Status::Limited, a};
      }
      if (e->tat.compare_exchange_weak(tat, a.tat)) {
        // Taken over between reading the key and the CAS: the charge went to the new key (which
        // only makes that key stricter); charge this key again where it now lives.
        if (e->key.load() != key) break;
        return Result{Status::Allowed, a};
      }
    }
  }
  full_.fetch_add(1, std::memory_order_relaxed);
  Result r;
  r.status = Status::Full;
  r.answer.allowed = true;
  return r;
}

}  // namespace holdfast::filters::rate_limit
