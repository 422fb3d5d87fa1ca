#include "filters/jwt/keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <array>
#include <utility>

#include "proxy/util/base64.h"
#include "proxy/util/json.h"

namespace holdfast::filters::jwt {
namespace {

constexpr std::array<std::pair<Alg, std::string_view>, 13> kAlgNames = {{
    {Alg::HS256, "HS256"},
    {Alg::HS384, "HS384"},
    {Alg::HS512, "HS512"},
    {Alg::RS256, "RS256"},
    {Alg::RS384, "RS384"},
    {Alg::RS512, "RS512"},
    {Alg::PS256, "PS256"},
    {Alg::PS384, "PS384"},
    {Alg::PS512, "PS512"},
    {Alg::ES256, "ES256"},
    {Alg::ES384, "ES384"},
    {Alg::ES512, "ES512"},
    {Alg::EdDSA, "EdDSA"},
}};

// The JWK curve names, OpenSSL's group names, and the coordinate size in bytes.
struct Curve {
  std::string_view jwk;
  const char* group;
  size_t bytes;
  Alg alg;
};
constexpr std::array<Curve, 3> kCurves = {{
    {"P-256", "prime256v1", 32, Alg::ES256},
    {"P-384", "secp384r1", 48, Alg::ES384},
    {"P-521", "secp521r1", 66, Alg::ES512},
}};

// Larger moduli are refused by OpenSSL's RSA code anyway; a hostile JWKS could otherwise make
// every verification slow.
constexpr int kMaxRsaBits = 16384;
constexpr size_t kMaxRsaExponentBytes = 8;

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamsFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

bool is_rsa(Alg alg) {
  return alg >= Alg::RS256 && alg <= Alg::PS512;
}

const Curve* curve_for_alg(Alg alg) {
  for (const Curve& c : kCurves)
    if (c.alg == alg) return &c;
  return nullptr;
}

const Curve* curve_for_jwk(std::string_view crv) {
  for (const Curve& c : kCurves)
    if (c.jwk == crv) return &c;
  return nullptr;
}

// Quoted for a message, so that hostile bytes cannot break a log line.
std::string quoted(std::string_view s) {
  constexpr size_t kMaxShown = 64;
  std::string out;
  util::append_json_string(out, s.substr(0, kMaxShown));
  if (s.size() > kMaxShown) out += "...";
  return out;
}

// Builds a public key of OpenSSL type `type` from `params`; null on failure.
Pkey pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamsFree> params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return Pkey(raw);
}

// The members of one JWK that matter here, decoded.
struct Jwk {
  std::optional<std::string> kty, use, kid, alg, crv, n, e, x, y, k;
  std::optional<std::vector<std::string>> key_ops;
};

std::optional<std::string>* string_member(Jwk& jwk, std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::optional<std::string> Jwk::*>, 10>
      kMembers = {{
          {"kty", &Jwk::kty},
          {"use", &Jwk::use},
          {"kid", &Jwk::kid},
          {"alg", &Jwk::alg},
          {"crv", &Jwk::crv},
          {"n", &Jwk::n},
          {"e", &Jwk::e},
          {"x", &Jwk::x},
          {"y", &Jwk::y},
          {"k", &Jwk::k},
      }};
  for (const auto& [member_name, member] : kMembers)
    if (member_name == name) return &(jwk.*member);
  return nullptr;
}

// Reads the members of one JWK object into `jwk`. Members this code does not use are ignored;
// a member that appears twice, or one of ours with the wrong type, is an error.
bool read_jwk(std::string_view object, Jwk& jwk, std::string& reason) {
  util::JsonObjectReader reader(object);
  util::JsonMember m;
  std::vector<std::string> names;
  while (reader.next(m)) {
    std::string name;
    if (!util::append_json_unescaped(name, m.key)) {
      reason = "a member name is not valid text";
      return false;
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      reason = "member " + quoted(name) + " appears twice";
      return false;
    }
    names.push_back(name);
    if (name == "key_ops") {
      if (m.type != util::JsonType::Array) {
        reason = "\"key_ops\" is not an array";
        return false;
      }
      util::JsonArrayReader ops(m.value);
      util::JsonElement op;
      jwk.key_ops.emplace();
      while (ops.next(op)) {
        std::string value;
        if (op.type != util::JsonType::String || !util::append_json_unescaped(value, op.value)) {
          reason = "\"key_ops\" holds something other than strings";
          return false;
        }
        jwk.key_ops->push_back(std::move(value));
      }
      continue;
    }
    std::optional<std::string>* slot = string_member(jwk, name);
    if (slot == nullptr) continue;
    std::string value;
    if (m.type != util::JsonType::String || !util::append_json_unescaped(value, m.value)) {
      reason = quoted(name) + " is not a string";
      return false;
    }
    *slot = std::move(value);
  }
  if (!reader.ok()) {
    reason = "not a JSON object";
    return false;
  }
  return true;
}

// Decodes the base64url member `name`, which must be present.
bool member_bytes(const std::optional<std::string>& member, std::string_view name, std::string& out,
                  std::string& reason) {
  if (!member) {
    reason = "no \"" + std::string(name) + "\"";
    return false;
  }
  if (!util::decode_base64url(*member, out) || out.empty()) {
    reason = "\"" + std::string(name) + "\" is not a non-empty base64url value";
    return false;
  }
  return true;
}

bool build_rsa(const Jwk& jwk, Key& key, std::string& reason) {
  std::string n, e;
  if (!member_bytes(jwk.n, "n", n, reason) || !member_bytes(jwk.e, "e", e, reason)) return false;
  // Leading zero bytes are tolerated, within reason.
  if (n.size() > kMaxRsaBits / 8 + 8 || e.size() > kMaxRsaExponentBytes) {
    reason = "the modulus or the exponent is too long";
    return false;
  }
  Bn bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()),
                    nullptr));
  Bn bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()),
                    nullptr));
  if (!bn_n || !bn_e) {
    reason = "out of memory";
    return false;
  }
  if (BN_num_bits(bn_n.get()) > kMaxRsaBits || !BN_is_odd(bn_n.get())) {
    reason = "the modulus is not usable";
    return false;
  }
  if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) {
    reason = "the exponent is not usable";
    return false;
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    reason = "out of memory";
    return false;
  }
  key.pkey = pkey_from_params("RSA", bld.get());
  if (!key.pkey) {
    reason = "OpenSSL refused the RSA key";
    return false;
  }
  key.type = Key::Type::Rsa;
  return true;
}

// The coordinate, left-padded with zeros to the curve's size.
bool coordinate(const std::optional<std::string>& member, std::string_view name, const Curve& curve,
                std::string& point, std::string& reason) {
  std::string bytes;
  if (!member_bytes(member, name, bytes, reason)) return false;
  if (bytes.size() > curve.bytes) {
    reason = "\"" + std::string(name) + "\" is too long for " + std::string(curve.jwk);
    return false;
  }
  point.append(curve.bytes - bytes.size(), '\0');
  point += bytes;
  return true;
}

bool build_ec(const Jwk& jwk, Key& key, std::string& reason) {
  if (!jwk.crv) {
    reason = "no \"crv\"";
    return false;
  }
  const Curve* curve = curve_for_jwk(*jwk.crv);
  if (curve == nullptr) {
    reason = "unsupported EC curve " + quoted(*jwk.crv);
    return false;
  }
  std::string point(1, '\x04');  // uncompressed: 04 || x || y
  if (!coordinate(jwk.x, "x", *curve, point, reason) ||
      !coordinate(jwk.y, "y", *curve, point, reason)) {
    return false;
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    reason = "out of memory";
    return false;
  }
  Pkey pkey = pkey_from_params("EC", bld.get());
  // fromdata may or may not check the point; check it here so that it is always done.
  PkeyCtx check(pkey ? EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr) : nullptr);
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    reason = "(x, y) is not a point on " + std::string(curve->jwk);
    return false;
  }
  key.pkey = std::move(pkey);
  key.type = Key::Type::Ec;
  return true;
}

bool build_okp(const Jwk& jwk, Key& key, std::string& reason) {
  if (!jwk.crv) {
    reason = "no \"crv\"";
    return false;
  }
  if (*jwk.crv != "Ed25519") {
    reason = "unsupported OKP curve " + quoted(*jwk.crv);
    return false;
  }
  std::string x;
  if (!member_bytes(jwk.x, "x", x, reason)) return false;
  if (x.size() != 32) {
    reason = "\"x\" is not 32 bytes";
    return false;
  }
  key.pkey.reset(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size()));
  if (!key.pkey) {
    reason = "OpenSSL refused the Ed25519 key";
    return false;
  }
  key.type = Key::Type::Okp;
  return true;
}

bool build_key(const Jwk& jwk, Key& key, std::string& reason) {
  if (jwk.use && *jwk.use != "sig") {
    reason = "\"use\" is " + quoted(*jwk.use) + ", not \"sig\"";
    return false;
  }
  if (jwk.key_ops &&
      std::find(jwk.key_ops->begin(), jwk.key_ops->end(), "verify") == jwk.key_ops->end()) {
    reason = "\"key_ops\" does not allow \"verify\"";
    return false;
  }
  if (jwk.alg) {
    key.alg = parse_alg(*jwk.alg);
    if (!key.alg) {
      reason = "unsupported alg " + quoted(*jwk.alg);
      return false;
    }
  }
  if (jwk.kid) key.kid = *jwk.kid;
  if (!jwk.kty) {
    reason = "no \"kty\"";
    return false;
  }
  const std::string& kty = *jwk.kty;
  if (kty == "RSA") return build_rsa(jwk, key, reason);
  if (kty == "EC") return build_ec(jwk, key, reason);
  if (kty == "OKP") return build_okp(jwk, key, reason);
  if (kty == "oct") {
    if (!member_bytes(jwk.k, "k", key.secret, reason)) return false;
    key.type = Key::Type::Oct;
    return true;
  }
  reason = "unsupported kty " + quoted(kty);
  return false;
}

}  // namespace

std::optional<Alg> parse_alg(std::string_view name) {
  for (const auto& [alg, alg_text] : kAlgNames)
    if (alg_text == name) return alg;
  return std::nullopt;
}

std::string_view alg_name(Alg alg) {
  for (const auto& [candidate, alg_text] : kAlgNames)
    if (candidate == alg) return alg_text;
  return "unknown";
}

bool is_hmac(Alg alg) {
  return alg == Alg::HS256 || alg == Alg::HS384 || alg == Alg::HS512;
}

bool Key::fits(Alg wanted) const {
  if (alg && *alg != wanted) return false;
  switch (type) {
    case Type::Oct:
      return is_hmac(wanted) && !secret.empty();
    case Type::Rsa:
      return is_rsa(wanted) && pkey && EVP_PKEY_is_a(pkey.get(), "RSA") &&
             EVP_PKEY_get_bits(pkey.get()) >= kMinRsaBits;
    case Type::Ec: {
      const Curve* curve = curve_for_alg(wanted);
      if (curve == nullptr || !pkey || !EVP_PKEY_is_a(pkey.get(), "EC")) return false;
      char group[64];
      size_t len = 0;
      if (EVP_PKEY_get_group_name(pkey.get(), group, sizeof group, &len) != 1) return false;
      return std::string_view(group, len) == curve->group;
    }
    case Type::Okp:
      return wanted == Alg::EdDSA && pkey && EVP_PKEY_is_a(pkey.get(), "ED25519");
  }
  return false;
}

std::vector<const Key*> KeySet::candidates(std::string_view kid, Alg alg) const {
  std::vector<const Key*> out;
  for (const Key& key : keys)
    if ((kid.empty() || key.kid == kid) && key.fits(alg)) out.push_back(&key);
  return out;
}

bool KeySet::has_kid(std::string_view kid) const {
  return std::any_of(keys.begin(), keys.end(), [&](const Key& key) { return key.kid == kid; });
}

std::shared_ptr<const KeySet> parse_jwks(std::string_view json, std::string& error,
                                         std::vector<std::string>* skipped) {
  util::JsonObjectReader doc(json);
  util::JsonMember m;
  std::optional<util::JsonMember> keys_member;
  bool twice = false;
  while (doc.next(m)) {
    if (!util::json_string_equals(m.key, "keys")) continue;
    twice = twice || keys_member.has_value();
    keys_member = m;
  }
  if (!doc.ok()) {
    error = "the JWKS is not a JSON object";
    return nullptr;
  }
  if (!keys_member) {
    error = "the JWKS has no \"keys\"";
    return nullptr;
  }
  if (twice) {
    error = "the JWKS has \"keys\" twice";
    return nullptr;
  }
  if (keys_member->type != util::JsonType::Array) {
    error = "the JWKS's \"keys\" is not an array";
    return nullptr;
  }

  auto set = std::make_shared<KeySet>();
  util::JsonArrayReader elements(keys_member->value);
  util::JsonElement element;
  for (size_t index = 0; elements.next(element); ++index) {
    Key key;
    Jwk jwk;
    std::string reason;
    bool built = false;
    if (element.type != util::JsonType::Object) {
      reason = "not a JSON object";
    } else if (read_jwk(element.value, jwk, reason)) {
      built = build_key(jwk, key, reason);
    }
    if (built) {
      set->keys.push_back(std::move(key));
    } else if (skipped != nullptr) {
      std::string line = "key " + std::to_string(index);
      if (jwk.kid) line += " (kid " + quoted(*jwk.kid) + ")";
      skipped->push_back(line + ": " + reason);
    }
  }
  if (!elements.ok()) {  // the object reader checked the array already
    error = "the JWKS's \"keys\" is not a JSON array";
    return nullptr;
  }
  return set;
}

std::shared_ptr<const KeySet> hmac_key_set(std::string secret) {
  auto set = std::make_shared<KeySet>();
  Key key;
  key.type = Key::Type::Oct;
  key.secret = std::move(secret);
  set->keys.push_back(std::move(key));
  return set;
}

}  // namespace holdfast::filters::jwt
