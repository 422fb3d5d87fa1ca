// Minting JSON Web Tokens for tests: key generation, JWS signing and public JWKs, with OpenSSL.
// Every function fails the running test (REQUIRE) when OpenSSL does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "filters/jwt/keys.h"

namespace holdfast::test::jwt {

using filters::jwt::Alg;

// A signing key: a private key, or an HMAC secret.
struct MintKey {
  filters::jwt::Pkey pkey;  // null for HMAC
  std::string secret;
};

// The thirteen algorithms, in enum order.
std::vector<Alg> all_algs();

MintKey rsa_key(int bits);
MintKey ec_key(const char* curve);  // "P-256", "P-384", "P-521"
MintKey ed25519_key();
MintKey hmac_key(std::string secret);

// A key that can sign `alg`. Generated once per algorithm family and `which` and kept for the
// whole run, since RSA generation is slow: `which` picks a different key of the same kind.
const MintKey& key_for(Alg alg, int which = 0);

std::string b64url(std::string_view bytes);

// The JWS signature of `input`: raw R || S for ECDSA.
std::string sign(Alg alg, const MintKey& key, std::string_view input);
// The ECDSA signature as OpenSSL makes it (DER), which JWS does not use.
std::string sign_der(Alg alg, const MintKey& key, std::string_view input);

// "<header>.<payload>.<signature>" from JSON texts.
std::string mint_raw(std::string_view header_json, std::string_view payload_json, Alg alg,
                     const MintKey& key);
// A token with header {"alg":..., "typ":"JWT"} and "kid" when not empty.
std::string mint(Alg alg, const MintKey& key, std::string_view payload_json,
                 std::string_view kid = {});

// The public JWK of `key` as JSON text. `alg` and `use` are added when not empty.
std::string jwk(const MintKey& key, std::string_view kid, std::string_view alg = {},
                std::string_view use = {});
// {"keys":[...]} from JWK texts.
std::string jwks(const std::vector<std::string>& keys);

// The RSA public key as PEM text, and its modulus as big-endian bytes.
std::string rsa_public_pem(const MintKey& key);
std::string rsa_modulus(const MintKey& key);

}  // namespace holdfast::test::jwt
