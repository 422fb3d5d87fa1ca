// Finding the token in an upgrade request: the Authorization header, a query parameter, a
// cookie, or an entry of Sec-WebSocket-Protocol (browsers cannot set headers on a WebSocket).
#pragma once

#include <string_view>
#include <vector>

#include "filters/filter.h"
#include "filters/jwt/settings.h"

namespace holdfast::filters::jwt {

// The token from the first of `sources` that has one, as a view into `req`; empty when none.
std::string_view find_token(const std::vector<TokenSource>& sources, const Request& req);

// The token of one source; empty when that source has none.
std::string_view token_from(const TokenSource& source, const Request& req);

// Three base64url parts joined by dots, the first two non-empty: the shape of a compact JWS.
bool looks_like_jws(std::string_view text);

}  // namespace holdfast::filters::jwt
