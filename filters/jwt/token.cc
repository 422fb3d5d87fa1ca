#include "filters/jwt/token.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>

#include "proxy/util/base64.h"
#include "proxy/util/json.h"

namespace holdfast::filters::jwt {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

const EVP_MD* digest_for(Alg alg) {
  switch (alg) {
    case Alg::HS256:
    case Alg::RS256:
    case Alg::PS256:
    case Alg::ES256:
      return EVP_sha256();
    case Alg::HS384:
    case Alg::RS384:
    case Alg::PS384:
    case Alg::ES384:
      return EVP_sha384();
    case Alg::HS512:
    case Alg::RS512:
    case Alg::PS512:
    case Alg::ES512:
      return EVP_sha512();
    case Alg::EdDSA:
      return nullptr;
  }
  return nullptr;
}

// The size of R and of S in a JWS ECDSA signature (RFC 7518 section 3.4).
size_t ecdsa_half(Alg alg) {
  switch (alg) {
    case Alg::ES256:
      return 32;
    case Alg::ES384:
      return 48;
    case Alg::ES512:
      return 66;
    default:
      return 0;
  }
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Reads the names of an object's members in turn, decoded, and reports a name seen before.
// RFC 7515 allows refusing duplicates; accepting them would let two parsers disagree.
class Names {
 public:
  bool add(std::string_view raw, std::string& name) {
    name.clear();
    if (!util::append_json_unescaped(name, raw)) return false;
    if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) return false;
    seen_.push_back(name);
    return true;
  }

 private:
  std::vector<std::string> seen_;
};

bool string_value(const util::JsonMember& m, std::string& out) {
  out.clear();
  return m.type == util::JsonType::String && util::append_json_unescaped(out, m.value);
}

// A NumericDate: an integer, or a number with a fraction or an exponent, truncated toward zero.
bool numeric_date(const util::JsonMember& m, std::optional<int64_t>& out) {
  if (m.type != util::JsonType::Number) return false;
  const std::string_view raw = m.value;
  int64_t v = 0;
  if (util::json_to_int(raw, v)) {
    out = v;
    return true;
  }
  if (raw.find_first_of("eE") == std::string_view::npos) {
    const size_t dot = raw.find('.');
    if (dot == std::string_view::npos || !util::json_to_int(raw.substr(0, dot), v)) return false;
    out = v;
    return true;
  }
  // An exponent. The reader has checked the syntax; out-of-range values are refused.
  double d = 0;
  const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), d);
  if (ec != std::errc() || end != raw.data() + raw.size()) return false;
  constexpr double kLimit = 9.2e18;  // inside int64_t
  if (!(d > -kLimit && d < kLimit)) return false;
  out = static_cast<int64_t>(d);
  return true;
}

// Reads the JOSE header. Sets `known_alg` false for "none" and unknown algorithms.
bool read_header(Token& out, bool& known_alg) {
  util::JsonObjectReader reader(out.header);
  util::JsonMember m;
  Names names;
  std::string name, value;
  bool has_alg = false;
  while (reader.next(m)) {
    if (!names.add(m.key, name)) return false;
    if (name == "alg") {
      if (!string_value(m, value)) return false;
      has_alg = true;
      const std::optional<Alg> alg = parse_alg(value);
      known_alg = alg.has_value();
      if (alg) out.alg = *alg;
    } else if (name == "kid") {
      if (!string_value(m, out.kid)) return false;
    } else if (name == "crit") {
      return false;  // no extension is understood, so none may be critical (RFC 7515 4.1.11)
    }
    // Everything else, typ and key-carrying members such as jku, jwk and x5u among them, is
    // ignored: keys only ever come from the configuration.
  }
  return reader.ok() && has_alg;
}

bool read_payload(Token& out) {
  util::JsonObjectReader reader(out.payload);
  util::JsonMember m;
  Names names;
  std::string name;
  while (reader.next(m)) {
    if (!names.add(m.key, name)) return false;
    if (name == "iss") {
      if (!string_value(m, out.iss)) return false;
    } else if (name == "sub") {
      if (!string_value(m, out.sub)) return false;
    } else if (name == "aud") {
      if (m.type == util::JsonType::String) {
        out.aud.emplace_back();
        if (!util::append_json_unescaped(out.aud.back(), m.value)) return false;
      } else if (m.type == util::JsonType::Array) {
        util::JsonArrayReader elements(m.value);
        util::JsonElement e;
        while (elements.next(e)) {
          if (e.type != util::JsonType::String) return false;
          out.aud.emplace_back();
          if (!util::append_json_unescaped(out.aud.back(), e.value)) return false;
        }
        if (!elements.ok()) return false;
      } else {
        return false;
      }
    } else if (name == "exp") {
      if (!numeric_date(m, out.exp)) return false;
    } else if (name == "nbf") {
      if (!numeric_date(m, out.nbf)) return false;
    } else if (name == "iat") {
      if (!numeric_date(m, out.iat)) return false;
    }
  }
  return reader.ok();
}

bool verify_hmac(const Token& token, const Key& key) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(digest_for(token.alg), key.secret.data(), static_cast<int>(key.secret.size()),
           bytes(token.signing_input), token.signing_input.size(), mac, &mac_len) == nullptr) {
    return false;
  }
  return token.signature.size() == mac_len &&
         CRYPTO_memcmp(mac, token.signature.data(), mac_len) == 0;
}

// The DER form OpenSSL verifies, from the JWS form R || S; empty when the size is wrong.
std::string ecdsa_der(std::string_view raw, size_t half) {
  if (half == 0 || raw.size() != 2 * half) return {};
  Bn r(BN_bin2bn(bytes(raw), static_cast<int>(half), nullptr));
  Bn s(BN_bin2bn(bytes(raw) + half, static_cast<int>(half), nullptr));
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  (void)r.release();  // owned by `sig` now
  (void)s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<size_t>(len), '\0');
  auto* w = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &w) != len) return {};
  return der;
}

bool verify_pkey(const Token& token, const Key& key) {
  std::string der;
  std::string_view signature = token.signature;
  const size_t half = ecdsa_half(token.alg);
  if (half != 0) {
    der = ecdsa_der(token.signature, half);
    if (der.empty()) return false;
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(token.alg), nullptr, key.pkey.get()) != 1) {
    return false;
  }
  if (token.alg == Alg::PS256 || token.alg == Alg::PS384 || token.alg == Alg::PS512) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digest_for(token.alg)) != 1) {
      return false;
    }
  }
  return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(token.signing_input),
                          token.signing_input.size()) == 1;
}

int64_t saturating_add(int64_t a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
    return std::numeric_limits<int64_t>::max();
  }
  if (b < 0 && a < std::numeric_limits<int64_t>::min() - b) {
    return std::numeric_limits<int64_t>::min();
  }
  return a + b;
}

}  // namespace

std::optional<std::string> Token::claim(std::string_view name) const {
  util::JsonObjectReader reader(payload);
  util::JsonMember m;
  while (reader.next(m)) {
    if (!util::json_string_equals(m.key, name)) continue;
    switch (m.type) {
      case util::JsonType::String: {
        std::string value;
        if (!util::append_json_unescaped(value, m.value)) return std::nullopt;
        return value;
      }
      case util::JsonType::Number:
      case util::JsonType::True:
      case util::JsonType::False:
        return std::string(m.value);
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

Check decode(std::string_view compact, Token& out) {
  out = Token{};
  if (compact.size() > kMaxTokenBytes) return Check::Malformed;
  const size_t first = compact.find('.');
  if (first == std::string_view::npos) return Check::Malformed;
  const size_t second = compact.find('.', first + 1);
  if (second == std::string_view::npos) return Check::Malformed;
  if (compact.find('.', second + 1) != std::string_view::npos) return Check::Malformed;
  if (!util::decode_base64url(compact.substr(0, first), out.header) ||
      !util::decode_base64url(compact.substr(first + 1, second - first - 1), out.payload) ||
      !util::decode_base64url(compact.substr(second + 1), out.signature)) {
    return Check::Malformed;
  }
  out.signing_input = compact.substr(0, second);
  bool known_alg = false;
  if (!read_header(out, known_alg) || !read_payload(out)) return Check::Malformed;
  return known_alg ? Check::Ok : Check::BadAlgorithm;
}

bool verify_signature(const Token& token, const Key& key) {
  if (!key.fits(token.alg)) return false;
  return is_hmac(token.alg) ? verify_hmac(token, key) : verify_pkey(token, key);
}

Check check_claims(const Token& token, const ClaimRules& rules, int64_t now) {
  if (!token.exp && rules.require_exp) return Check::Malformed;
  if (!rules.issuer.empty() && token.iss != rules.issuer) return Check::BadIssuer;
  if (!rules.audiences.empty()) {
    const bool any = std::any_of(token.aud.begin(), token.aud.end(), [&](const std::string& a) {
      return std::find(rules.audiences.begin(), rules.audiences.end(), a) != rules.audiences.end();
    });
    if (!any) return Check::BadAudience;
  }
  const int64_t leeway = std::max<int64_t>(rules.leeway_seconds, 0);
  if (token.exp && now >= saturating_add(*token.exp, leeway)) return Check::Expired;
  const int64_t late_now = saturating_add(now, leeway);
  if (token.nbf && late_now < *token.nbf) return Check::NotYetValid;
  if (token.iat && late_now < *token.iat) return Check::NotYetValid;
  return Check::Ok;
}

}  // namespace holdfast::filters::jwt
