// A compact JWS token: decoding, signature verification with OpenSSL, and the registered
// claims checks. Nothing here logs; callers never log the token either.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/jwt/keys.h"

namespace holdfast::filters::jwt {

inline constexpr size_t kMaxTokenBytes = 8192;

struct Token {
  std::string header;   // decoded JSON
  std::string payload;  // decoded JSON
  std::string signature;
  std::string_view signing_input;  // "<header b64>.<payload b64>", a view into the caller's text
  Alg alg = Alg::HS256;
  std::string kid;
  // Registered claims, decoded.
  std::string iss;
  std::string sub;
  std::vector<std::string> aud;  // a string aud becomes one entry
  std::optional<int64_t> exp, nbf, iat;

  // A top-level claim rendered as text: strings decoded, numbers and booleans as written.
  // nullopt when absent, null, an object or an array.
  std::optional<std::string> claim(std::string_view name) const;
};

enum class Check {
  Ok,
  Malformed,     // not three base64url parts, bad JSON, wrong claim types, over kMaxTokenBytes
  BadAlgorithm,  // "none", unknown, or not allowed
  BadSignature,
  BadIssuer,
  BadAudience,
  Expired,
  NotYetValid,  // nbf, or iat, later than now + leeway
};

// Decodes `compact` into `out` (signing_input points into `compact`, which must outlive it).
// Returns Malformed or BadAlgorithm ("none" or an unknown alg), else Ok.
Check decode(std::string_view compact, Token& out);

// Verifies the signature with `key` (which must fit token.alg). Constant time for HMAC.
bool verify_signature(const Token& token, const Key& key);

struct ClaimRules {
  std::string issuer;                  // empty: any
  std::vector<std::string> audiences;  // empty: not checked; else the token needs one of them
  int64_t leeway_seconds = 0;
  bool require_exp = true;  // when true, a token without exp fails with Malformed
};

// iss, aud, exp, nbf and iat against `rules` at `now` (seconds since the epoch).
Check check_claims(const Token& token, const ClaimRules& rules, int64_t now);

}  // namespace holdfast::filters::jwt
