// Tokens and key sets for the jwt tests, made by tests/support/mint_token.py with Debian's PyJWT:
// an implementation that shares nothing with the proxy's.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace holdfast::test {

struct Minted {
  std::map<std::string, std::string> jwks;    // set name -> JWKS document text
  std::map<std::string, std::string> tokens;  // token name -> compact JWS

  // Throw std::out_of_range naming what is missing.
  const std::string& token(const std::string& name) const;
  const std::string& key_set(const std::string& name) const;
};

// Runs mint_token.py with `spec` (its JSON spec, described in the script) under /usr/bin/python3.
// Throws std::runtime_error with the script's stderr when it fails.
Minted mint_tokens(const std::string& spec);

// Base64url without padding, for tokens built by hand.
std::string base64url(std::string_view bytes);

}  // namespace holdfast::test
