#include "tests/unit/jwt_mint.h"

#include <catch2/catch.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <map>
#include <memory>
#include <utility>

#include "proxy/util/base64.h"
#include "proxy/util/json.h"

namespace holdfast::test::jwt {
namespace {

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
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

size_t ecdsa_half(Alg alg) {
  return alg == Alg::ES256 ? 32 : alg == Alg::ES384 ? 48 : 66;
}

bool is_pss(Alg alg) {
  return alg == Alg::PS256 || alg == Alg::PS384 || alg == Alg::PS512;
}

bool is_ecdsa(Alg alg) {
  return alg == Alg::ES256 || alg == Alg::ES384 || alg == Alg::ES512;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

MintKey generate(PkeyCtx ctx) {
  REQUIRE(ctx);
  EVP_PKEY* raw = nullptr;
  REQUIRE(EVP_PKEY_generate(ctx.get(), &raw) == 1);
  MintKey key;
  key.pkey.reset(raw);
  return key;
}

std::string bn_param(const EVP_PKEY* pkey, const char* name, int pad = 0) {
  BIGNUM* raw = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(pkey, name, &raw) == 1);
  Bn bn(raw);
  const int len = pad > 0 ? pad : BN_num_bytes(bn.get());
  std::string out(static_cast<size_t>(len), '\0');
  REQUIRE(BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), len) == len);
  return out;
}

void add_member(std::string& json, std::string_view name, std::string_view value) {
  if (json.size() > 1) json += ',';
  util::append_json_string(json, name);
  json += ':';
  util::append_json_string(json, value);
}

}  // namespace

std::vector<Alg> all_algs() {
  return {Alg::HS256, Alg::HS384, Alg::HS512, Alg::RS256, Alg::RS384, Alg::RS512, Alg::PS256,
          Alg::PS384, Alg::PS512, Alg::ES256, Alg::ES384, Alg::ES512, Alg::EdDSA};
}

MintKey rsa_key(int bits) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  REQUIRE(ctx);
  REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) == 1);
  return generate(std::move(ctx));
}

MintKey ec_key(const char* curve) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  REQUIRE(ctx);
  REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_group_name(ctx.get(), curve) == 1);
  return generate(std::move(ctx));
}

MintKey ed25519_key() {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "ED25519", nullptr));
  REQUIRE(ctx);
  REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
  return generate(std::move(ctx));
}

MintKey hmac_key(std::string secret) {
  MintKey key;
  key.secret = std::move(secret);
  return key;
}

const MintKey& key_for(Alg alg, int which) {
  static std::map<std::pair<int, int>, MintKey> cache;
  int family = 0;
  switch (alg) {
    case Alg::HS256:
    case Alg::HS384:
    case Alg::HS512:
      family = 0;
      break;
    case Alg::RS256:
    case Alg::RS384:
    case Alg::RS512:
    case Alg::PS256:
    case Alg::PS384:
    case Alg::PS512:
      family = 1;
      break;
    case Alg::ES256:
      family = 2;
      break;
    case Alg::ES384:
      family = 3;
      break;
    case Alg::ES512:
      family = 4;
      break;
    case Alg::EdDSA:
      family = 5;
      break;
  }
  auto it = cache.find({family, which});
  if (it != cache.end()) return it->second;
  MintKey key;
  switch (family) {
    case 0:
      key = hmac_key("hmac secret number " + std::to_string(which) + ", 32 bytes or more");
      break;
    case 1:
      key = rsa_key(2048);
      break;
    case 2:
      key = ec_key("P-256");
      break;
    case 3:
      key = ec_key("P-384");
      break;
    case 4:
      key = ec_key("P-521");
      break;
    default:
      key = ed25519_key();
      break;
  }
  return cache.emplace(std::make_pair(family, which), std::move(key)).first->second;
}

std::string b64url(std::string_view data) {
  std::string out;
  util::append_base64(out, data);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string sign_der(Alg alg, const MintKey& key, std::string_view input) {
  if (filters::jwt::is_hmac(alg)) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    REQUIRE(HMAC(digest_for(alg), key.secret.data(), static_cast<int>(key.secret.size()),
                 bytes(input), input.size(), mac, &len) != nullptr);
    return std::string(reinterpret_cast<const char*>(mac), len);
  }
  REQUIRE(key.pkey);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  REQUIRE(ctx);
  EVP_PKEY_CTX* pctx = nullptr;
  REQUIRE(EVP_DigestSignInit(ctx.get(), &pctx, digest_for(alg), nullptr, key.pkey.get()) == 1);
  if (is_pss(alg)) {
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digest_for(alg)) == 1);
  }
  size_t len = 0;
  REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, bytes(input), input.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                         bytes(input), input.size()) == 1);
  sig.resize(len);
  return sig;
}

std::string sign(Alg alg, const MintKey& key, std::string_view input) {
  std::string sig = sign_der(alg, key, input);
  if (!is_ecdsa(alg)) return sig;
  const auto* p = bytes(sig);
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> parsed(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  REQUIRE(parsed);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(parsed.get(), &r, &s);
  const size_t half = ecdsa_half(alg);
  std::string raw(2 * half, '\0');
  auto* w = reinterpret_cast<unsigned char*>(raw.data());
  REQUIRE(BN_bn2binpad(r, w, static_cast<int>(half)) == static_cast<int>(half));
  REQUIRE(BN_bn2binpad(s, w + half, static_cast<int>(half)) == static_cast<int>(half));
  return raw;
}

std::string mint_raw(std::string_view header_json, std::string_view payload_json, Alg alg,
                     const MintKey& key) {
  const std::string input = b64url(header_json) + "." + b64url(payload_json);
  return input + "." + b64url(sign(alg, key, input));
}

std::string mint(Alg alg, const MintKey& key, std::string_view payload_json, std::string_view kid) {
  std::string header = "{";
  add_member(header, "alg", filters::jwt::alg_name(alg));
  add_member(header, "typ", "JWT");
  if (!kid.empty()) add_member(header, "kid", kid);
  header += '}';
  return mint_raw(header, payload_json, alg, key);
}

std::string jwk(const MintKey& key, std::string_view kid, std::string_view alg,
                std::string_view use) {
  std::string json = "{";
  if (!key.pkey) {
    add_member(json, "kty", "oct");
    add_member(json, "k", b64url(key.secret));
  } else if (EVP_PKEY_is_a(key.pkey.get(), "RSA")) {
    add_member(json, "kty", "RSA");
    add_member(json, "n", b64url(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N)));
    add_member(json, "e", b64url(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_E)));
  } else if (EVP_PKEY_is_a(key.pkey.get(), "EC")) {
    char group[64];
    size_t len = 0;
    REQUIRE(EVP_PKEY_get_group_name(key.pkey.get(), group, sizeof group, &len) == 1);
    const std::string_view name(group, len);
    const int size = name == "prime256v1" ? 32 : name == "secp384r1" ? 48 : 66;
    add_member(json, "kty", "EC");
    add_member(json, "crv", size == 32 ? "P-256" : size == 48 ? "P-384" : "P-521");
    add_member(json, "x", b64url(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, size)));
    add_member(json, "y", b64url(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, size)));
  } else {
    unsigned char raw[32];
    size_t len = sizeof raw;
    REQUIRE(EVP_PKEY_get_raw_public_key(key.pkey.get(), raw, &len) == 1);
    add_member(json, "kty", "OKP");
    add_member(json, "crv", "Ed25519");
    add_member(json, "x", b64url(std::string_view(reinterpret_cast<const char*>(raw), len)));
  }
  if (!kid.empty()) add_member(json, "kid", kid);
  if (!alg.empty()) add_member(json, "alg", alg);
  if (!use.empty()) add_member(json, "use", use);
  return json + "}";
}

std::string jwks(const std::vector<std::string>& keys) {
  std::string json = R"({"keys":[)";
  for (size_t i = 0; i < keys.size(); ++i)
    json += (i ? "," : "") + keys[i];
  return json + "]}";
}

std::string rsa_public_pem(const MintKey& key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  REQUIRE(bio);
  REQUIRE(PEM_write_bio_PUBKEY(bio.get(), key.pkey.get()) == 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  REQUIRE(len > 0);
  return std::string(data, static_cast<size_t>(len));
}

std::string rsa_modulus(const MintKey& key) {
  return bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N);
}

}  // namespace holdfast::test::jwt
