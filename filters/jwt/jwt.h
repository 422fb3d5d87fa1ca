// The `jwt` filter: authenticates the upgrade with a JSON Web Token, verified with OpenSSL
// against keys from an inline JWKS, a JWKS file, a JWKS URL or an HMAC secret. docs/filters.md
// describes its settings.
#pragma once

#include <memory>
#include <string_view>

#include "filters/registry.h"

namespace holdfast::filters::jwt {

// Counter labels, in Rejection::decision order.
enum Decision : uint8_t {
  kAllowed,
  kAnonymous,     // optional: true, and no token
  kMissing,       // no token on a required route
  kMalformed,     // not three base64url parts, bad JSON, too big
  kBadAlgorithm,  // none, or an alg the provider does not allow, or one the key cannot do
  kUnknownKey,    // no key with that kid (after a refetch, when the keys come from a URL)
  kBadSignature,
  kBadIssuer,
  kBadAudience,
  kExpired,
  kNotYetValid,      // nbf in the future, or iat in the future
  kKeysUnavailable,  // the JWKS has never loaded
  kExpiredSession,   // exp passed on an open connection: closed 1008 "token expired"
};
inline constexpr std::string_view kDecisions[] = {
    "allowed",       "anonymous",        "missing",        "malformed",    "bad_algorithm",
    "unknown_key",   "bad_signature",    "bad_issuer",     "bad_audience", "expired",
    "not_yet_valid", "keys_unavailable", "expired_session"};

std::shared_ptr<const config::FilterSettings> read(config::Diagnostics& diag,
                                                   const config::Field& field);
std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> settings,
                                    const ProcessEnv& env);

}  // namespace holdfast::filters::jwt
