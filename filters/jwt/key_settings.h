// Where the jwt filter's keys come from: `jwks:` (a url, a file or inline) or `hmac_secret:`. A
// JWKS file or inline document and an HMAC secret are read here, when the config loads.
#pragma once

#include <optional>
#include <string_view>

#include "config/schema.h"
#include "filters/jwt/settings.h"

namespace holdfast::filters::jwt {

void read_jwks(config::Diagnostics& diag, const config::Field& field, Settings& out);
// The secret itself never appears in a message.
void read_hmac_secret(config::Diagnostics& diag, const config::Field& field, Settings& out);

// The field `key` of `map`, named by its whole place ("filters[0].jwt.issuer").
std::optional<config::Field> field_in(const config::MapReader& map, std::string_view key);

}  // namespace holdfast::filters::jwt
