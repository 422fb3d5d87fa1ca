// The `jwt` filter's settings, as read from `- jwt: {...}`. Immutable once loaded, shared by every
// worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "filters/jwt/keys.h"

namespace holdfast::filters::jwt {

// Where a token may stand in the upgrade request.
struct TokenSource {
  enum class Kind {
    Header,    // Authorization: Bearer <token>
    Query,     // ?<name>=<token>
    Cookie,    // Cookie: <name>=<token>
    Protocol,  // a Sec-WebSocket-Protocol entry: shaped like a JWS, or starting with <name>
  };
  Kind kind = Kind::Header;
  std::string name;  // query or cookie name, or the protocol entry's prefix (may be empty)

  bool operator==(const TokenSource&) const = default;
};

// A JWKS served over HTTP(S), fetched in the background.
struct JwksUrl {
  std::string url;
  config::Duration cache_duration{std::chrono::minutes(10)};    // refetched this often
  config::Duration refetch_interval{std::chrono::seconds(30)};  // least time between kid misses
  config::Duration timeout{std::chrono::seconds(5)};            // one whole fetch
  std::string ca_file;                                          // empty: the system's CAs
};

// A set of algorithms, one bit per Alg.
class AlgSet {
 public:
  void add(Alg alg) { bits_ |= bit(alg); }
  bool has(Alg alg) const { return (bits_ & bit(alg)) != 0; }
  bool empty() const { return bits_ == 0; }
  bool operator==(const AlgSet&) const = default;

 private:
  static uint32_t bit(Alg alg) { return uint32_t{1} << static_cast<unsigned>(alg); }
  uint32_t bits_ = 0;
};

struct Settings : config::FilterSettings {
  std::string issuer;                  // empty: any
  std::vector<std::string> audiences;  // empty: not checked; else the token needs one of them
  AlgSet algorithms;

  // Exactly one of these: keys known at load (inline or file JWKS, HMAC secret), or a URL.
  std::shared_ptr<const KeySet> keys;
  std::optional<JwksUrl> jwks_url;

  config::Duration leeway{std::chrono::seconds(30)};
  bool require_exp = true;
  std::vector<TokenSource> tokens;  // tried in order; the first that has a token wins
  // Metadata name -> claim name; each present claim becomes ce_<name> and {claim.<name>}.
  std::vector<std::pair<std::string, std::string>> claims;
  bool optional = false;  // no token at all: admitted anonymously
  config::Duration expiry_grace{0};
  bool close_on_expiry = true;
};

}  // namespace holdfast::filters::jwt
