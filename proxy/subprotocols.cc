#include "proxy/subprotocols.h"

namespace holdfast {
namespace {

constexpr size_t kMaxHeader = 127;  // lws's 128-byte copy, with its terminator
constexpr size_t kMaxName = 62;     // each name lws looks at before the match

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

SubprotocolCheck check_subprotocols(std::string_view header) {
  if (header.empty()) return SubprotocolCheck::Ok;
  if (header.size() > kMaxHeader) return SubprotocolCheck::TooLong;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view name = trim(header.substr(0, comma));
    if (name == kSubprotocol) return SubprotocolCheck::Ok;
    if (name.size() > kMaxName) return SubprotocolCheck::TooLong;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return SubprotocolCheck::Unsupported;
}

HttpRefusal subprotocol_refusal(SubprotocolCheck check) {
  HttpRefusal out;
  if (check == SubprotocolCheck::TooLong) {
    out.status = 431;
    out.body =
        R"({"error":"header_too_large","message":"Sec-WebSocket-Protocol may be at most 127 bytes, )"
        R"(and each name before \"holdfast\" at most 62; send a token in the query or a cookie"})";
  } else {
    out.status = 400;
    out.body =
        R"({"error":"unsupported_subprotocol","message":"Sec-WebSocket-Protocol must offer \"holdfast\""})";
  }
  return out;
}

}  // namespace holdfast
