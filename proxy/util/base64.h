// Base64 for binary payloads inside JSON (`data_base64`), and base64url for JSON Web Tokens.
#pragma once

#include <string>
#include <string_view>

namespace holdfast::util {

// Appends `bytes` in the standard alphabet of RFC 4648 section 4, with `=` padding.
void append_base64(std::string& out, std::string_view bytes);

// Decodes `in`, in the URL-safe alphabet of RFC 4648 section 5 without padding, into `out`
// (replacing what it held). Strict, so that one byte string has exactly one encoding: returns
// false on any character outside the alphabet (`=` included), on a length that leaves a single
// character over, and on unused trailing bits that are not zero. `out` is then unspecified.
bool decode_base64url(std::string_view in, std::string& out);

}  // namespace holdfast::util
