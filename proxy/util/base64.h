// Base64 for binary payloads inside JSON (`data_base64`).
#pragma once

#include <string>
#include <string_view>

namespace holdfast::util {

// Appends `bytes` in the standard alphabet of RFC 4648 section 4, with `=` padding.
void append_base64(std::string& out, std::string_view bytes);

}  // namespace holdfast::util
