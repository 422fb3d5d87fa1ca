// Reading `- jwt: {...}`: keys, types and bounds. Where the keys come from is read in
// key_settings.cc.
#include <algorithm>
#include <array>

#include "config/schema.h"
#include "filters/jwt/jwt.h"
#include "filters/jwt/key_settings.h"
#include "filters/jwt/settings.h"

namespace holdfast::filters::jwt {
namespace {

using config::Diagnostics;
using config::Field;
using config::MapReader;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr std::array<std::string_view, 13> kAllAlgs = {"HS256", "HS384", "HS512", "RS256", "RS384",
                                                       "RS512", "PS256", "PS384", "PS512", "ES256",
                                                       "ES384", "ES512", "EdDSA"};

// Attributes every event already carries; a forwarded claim may not take their names.
constexpr std::array<std::string_view, 14> kReservedMetadata = {
    "specversion",  "id",          "source",  "type",           "time",
    "connectionid", "authid",      "replyto", "correlationid",  "traceparent",
    "closecode",    "closereason", "data",    "datacontenttype"};

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

bool valid_metadata_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

bool reserved(std::string_view name) {
  return std::find(kReservedMetadata.begin(), kReservedMetadata.end(), name) !=
         kReservedMetadata.end();
}

void read_algorithms(Diagnostics& diag, const Field& field, bool hmac_keys, AlgSet& out) {
  const auto items = config::sequence_items(diag, field);
  if (!items) return;
  if (items->empty()) {
    diag.error(field.value_mark, "expected at least one algorithm for " + quoted(field.name) +
                                     ", got an empty "
                                     "sequence");
    return;
  }
  for (const Field& item : *items) {
    const auto text = config::read_nonempty(diag, item);
    if (!text) continue;
    const auto alg = parse_alg(*text);
    if (!alg) {
      const bool none = *text == "none" || *text == "None" || *text == "NONE";
      diag.error(item.value_mark,
                 none ? "algorithm 'none' for " + quoted(item.name) +
                            " is not allowed; unsigned tokens are always refused"
                      : "unknown algorithm " + quoted(*text) + " for " + quoted(item.name) +
                            "; expected " +
                            config::join_names({kAllAlgs.begin(), kAllAlgs.end()}, "or"));
      continue;
    }
    if (hmac_keys && !is_hmac(*alg)) {
      diag.error(item.value_mark, "algorithm " + quoted(*text) + " for " + quoted(item.name) +
                                      " needs a public key, but the key is hmac_secret; "
                                      "expected HS256, HS384 or HS512");
      continue;
    }
    out.add(*alg);
  }
}

// "header", "query:NAME", "cookie:NAME", "protocol", "protocol:PREFIX".
std::optional<TokenSource> parse_source(std::string_view text) {
  TokenSource s;
  if (text == "header") return s;
  if (text == "protocol") {
    s.kind = TokenSource::Kind::Protocol;
    return s;
  }
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
  const std::string_view kind = text.substr(0, colon);
  s.name = std::string(text.substr(colon + 1));
  if (kind == "query") {
    s.kind = TokenSource::Kind::Query;
  } else if (kind == "cookie") {
    s.kind = TokenSource::Kind::Cookie;
  } else if (kind == "protocol") {
    s.kind = TokenSource::Kind::Protocol;
  } else {
    return std::nullopt;
  }
  const bool bad = std::any_of(s.name.begin(), s.name.end(), [](unsigned char c) {
    return c <= ' ' || c >= 0x7f || c == ',' || c == ';' || c == '=' || c == '&';
  });
  if (bad) return std::nullopt;
  return s;
}

void read_tokens(Diagnostics& diag, const Field& field, Settings& out) {
  const auto items = config::sequence_items(diag, field);
  if (!items) return;
  if (items->empty()) {
    diag.error(field.value_mark, "expected at least one token source for " + quoted(field.name) +
                                     ", got an empty sequence");
    return;
  }
  for (const Field& item : *items) {
    const auto text = config::read_nonempty(diag, item);
    if (!text) continue;
    const auto source = parse_source(*text);
    if (!source) {
      diag.error(item.value_mark, "invalid token source " + quoted(*text) + " for " +
                                      quoted(item.name) +
                                      "; expected header, query:NAME, cookie:NAME, protocol or "
                                      "protocol:PREFIX");
    } else if (std::find(out.tokens.begin(), out.tokens.end(), *source) != out.tokens.end()) {
      diag.error(item.value_mark,
                 "duplicate token source " + quoted(*text) + " in " + quoted(field.name));
    } else {
      out.tokens.push_back(*source);
    }
  }
}

// True when `name` may be a metadata name; reports otherwise.
bool check_metadata_name(Diagnostics& diag, const config::Mark& at, const std::string& name,
                         const std::string& where, bool from_sequence) {
  if (!valid_metadata_name(name)) {
    diag.error(at, from_sequence
                       ? "claim " + quoted(name) + " in " + quoted(where) +
                             " is not a metadata name; expected lowercase letters and digits, "
                             "or a map from such a name to the claim (e.g. { org: \"" +
                             name + "\" })"
                       : "invalid metadata name " + quoted(name) + " in " + quoted(where) +
                             "; expected lowercase letters and digits (e.g. org)");
    return false;
  }
  if (reserved(name)) {
    diag.error(at, "metadata name " + quoted(name) + " in " + quoted(where) +
                       " is reserved; every event already carries that attribute");
    return false;
  }
  return true;
}

void read_claims(Diagnostics& diag, const Field& field, Settings& out) {
  if (field.value.IsSequence()) {
    const auto items = config::sequence_items(diag, field);
    for (const Field& item : items ? *items : std::vector<Field>{}) {
      const auto name = config::read_nonempty(diag, item);
      if (!name || !check_metadata_name(diag, item.value_mark, *name, field.name, true)) continue;
      const bool repeated = std::any_of(out.claims.begin(), out.claims.end(),
                                        [&](const auto& c) { return c.first == *name; });
      if (repeated) {
        diag.error(item.value_mark,
                   "duplicate claim " + quoted(*name) + " in " + quoted(field.name));
        continue;
      }
      out.claims.emplace_back(*name, *name);
    }
    return;
  }
  if (!field.value.IsMap()) {
    diag.error(field.value_mark,
               "expected a sequence of claim names or a map from metadata name "
               "to claim name for " +
                   quoted(field.name) + ", got " + config::describe(field.value));
    return;
  }
  const std::string prefix = field.name + ".";
  for (const Field& entry : config::map_entries(diag, field, prefix)) {
    const std::string name = entry.name.substr(prefix.size());
    const bool ok = check_metadata_name(diag, entry.key_mark, name, field.name, false);
    const auto claim = config::read_nonempty(diag, entry);
    if (ok && claim) out.claims.emplace_back(name, *claim);
  }
}

}  // namespace

std::shared_ptr<const config::FilterSettings> read(Diagnostics& diag, const Field& field) {
  if (!config::expect_map(diag, field)) return nullptr;
  MapReader map(diag, field, field.name,
                {"issuer", "audiences", "algorithms", "jwks", "hmac_secret", "leeway",
                 "require_exp", "tokens", "claims", "optional", "expiry_grace", "close_on_expiry"});
  auto s = std::make_shared<Settings>();

  if (const auto f = field_in(map, "issuer")) {
    if (auto text = config::read_nonempty(diag, *f)) s->issuer = std::move(*text);
  }
  if (const auto f = field_in(map, "audiences")) {
    if (const auto items = config::sequence_items(diag, *f)) {
      if (items->empty()) {
        diag.error(f->value_mark, "expected at least one audience for " + quoted(f->name) +
                                      ", got an empty sequence");
      }
      for (const Field& item : *items) {
        if (auto text = config::read_nonempty(diag, item)) s->audiences.push_back(std::move(*text));
      }
    }
  }

  const Field* keys = map.exactly_one({"jwks", "hmac_secret"});
  const bool hmac = keys != nullptr && keys->name == "hmac_secret";
  if (keys != nullptr) {
    const auto f = field_in(map, keys->name);
    if (hmac) {
      read_hmac_secret(diag, *f, *s);
    } else {
      read_jwks(diag, *f, *s);
    }
  }

  if (const auto f = field_in(map, "algorithms")) {
    read_algorithms(diag, *f, hmac, s->algorithms);
  } else {
    for (std::string_view name : kAllAlgs) {
      const Alg alg = *parse_alg(name);
      if (is_hmac(alg) == hmac) s->algorithms.add(alg);
    }
  }

  if (const auto f = field_in(map, "leeway")) {
    if (auto d = config::read_duration(diag, *f, milliseconds(0), minutes(10))) s->leeway = *d;
  }
  if (const auto f = field_in(map, "require_exp")) {
    if (auto b = config::read_bool(diag, *f)) s->require_exp = *b;
  }
  if (const auto f = field_in(map, "tokens")) {
    read_tokens(diag, *f, *s);
  } else {
    s->tokens = {TokenSource{TokenSource::Kind::Header, ""},
                 TokenSource{TokenSource::Kind::Query, "access_token"}};
  }
  if (const auto f = field_in(map, "claims")) read_claims(diag, *f, *s);
  if (const auto f = field_in(map, "optional")) {
    if (auto b = config::read_bool(diag, *f)) s->optional = *b;
  }
  if (const auto f = field_in(map, "expiry_grace")) {
    if (auto d = config::read_duration(diag, *f, milliseconds(0), hours(24))) s->expiry_grace = *d;
  }
  if (const auto f = field_in(map, "close_on_expiry")) {
    if (auto b = config::read_bool(diag, *f)) s->close_on_expiry = *b;
  }
  return s;
}

}  // namespace holdfast::filters::jwt
