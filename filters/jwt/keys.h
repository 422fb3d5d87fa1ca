// Verification keys: algorithms, one JWK, and a key set parsed from a JWKS document.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::filters::jwt {

enum class Alg {
  HS256,
  HS384,
  HS512,
  RS256,
  RS384,
  RS512,
  PS256,
  PS384,
  PS512,
  ES256,
  ES384,
  ES512,
  EdDSA,
};

// "RS256" -> Alg::RS256. "none" and anything unknown -> nullopt.
std::optional<Alg> parse_alg(std::string_view name);
std::string_view alg_name(Alg alg);
bool is_hmac(Alg alg);

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// RSA keys with a shorter modulus never fit (RFC 7518 section 3.3).
inline constexpr int kMinRsaBits = 2048;

struct Key {
  enum class Type { Rsa, Ec, Okp, Oct };
  Type type = Type::Rsa;
  std::string kid;         // empty when the JWK has none
  std::optional<Alg> alg;  // the JWK's "alg", when it names one
  Pkey pkey;               // Rsa, Ec (P-256, P-384, P-521), Okp (Ed25519)
  std::string secret;      // Oct: the raw HMAC key

  // Whether this key can verify `alg` (type and curve fit, and the JWK's own "alg" agrees).
  // This is what rules out key confusion: an RSA key never verifies an HS256 token.
  bool fits(Alg alg) const;
};

struct KeySet {
  std::vector<Key> keys;
  // Keys whose kid is `kid` (any key when `kid` is empty) and that fit `alg`.
  std::vector<const Key*> candidates(std::string_view kid, Alg alg) const;
  bool has_kid(std::string_view kid) const;
};

// Parses {"keys":[...]}. Keys with "use" other than "sig", an unknown "kty" or curve, or
// missing members are skipped, each with a line in `skipped`. Returns null and sets `error`
// when the document is not a JWKS at all (bad JSON, no "keys" array).
std::shared_ptr<const KeySet> parse_jwks(std::string_view json, std::string& error,
                                         std::vector<std::string>* skipped = nullptr);

// A set of one HMAC key (kid empty) from raw secret bytes.
std::shared_ptr<const KeySet> hmac_key_set(std::string secret);

}  // namespace holdfast::filters::jwt
