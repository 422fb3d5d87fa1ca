#!/usr/bin/python3
"""Mints JSON Web Tokens for the tests with PyJWT and python3-cryptography, which share no code
with the proxy, so the proxy is checked against an independent implementation.

Reads one JSON spec from argv[1] and prints one JSON document:

  spec:   {"keys": [{"kid": "k1", "kty": "RSA"}, {"kid": "e1", "kty": "EC"},
                    {"kid": "o1", "kty": "OKP"}],
           "hmac": "secret",                                   # optional
           "jwks": {"initial": ["k1"], "rotated": ["k1", "k2"]},
           "tokens": {"name": {"key": "k1", "alg": "RS256",
                               "claims": {"sub": "alice", "exp_in": 60},
                               "headers": {"kid": "other"},   # replaces the key's kid
                               "no_kid": false}}}
  output: {"jwks": {"initial": "<JWKS JSON text>", ...}, "tokens": {"name": "<compact JWS>"}}

In claims, "exp_in", "nbf_in" and "iat_in" become exp, nbf and iat: now plus that many seconds.
A token whose "key" is "hmac" is signed with the spec's HMAC secret; one with
"hmac_with_public_pem" names an RSA key whose public PEM becomes the HMAC secret (the classic
key-confusion attack, signed by hand since PyJWT rightly refuses to do it); "alg": "none" makes
an unsigned token.
"""

import base64
import hashlib
import hmac
import json
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_key(kty: str):
    if kty == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kty == "EC":
        return ec.generate_private_key(ec.SECP256R1())
    if kty == "OKP":
        return ed25519.Ed25519PrivateKey.generate()
    raise SystemExit("unknown kty " + kty)


def public_jwk(kid: str, key) -> dict:
    public = key.public_key()
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = json.loads(RSAAlgorithm.to_jwk(public))
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        jwk = json.loads(ECAlgorithm.to_jwk(public))
    else:
        jwk = json.loads(OKPAlgorithm.to_jwk(public))
    jwk.pop("key_ops", None)
    jwk["kid"] = kid
    jwk["use"] = "sig"
    return jwk


def claims_of(spec: dict) -> dict:
    now = int(time.time())
    out = {}
    for name, value in spec.items():
        if name in ("exp_in", "nbf_in", "iat_in"):
            out[name[:3]] = now + int(value)
        else:
            out[name] = value
    return out


def mint(spec: dict, keys: dict, secret) -> str:
    claims = claims_of(spec.get("claims", {}))
    alg = spec["alg"]
    headers = dict(spec.get("headers", {}))
    if alg == "none":
        return jwt.encode(claims, None, algorithm="none", headers=headers or None)
    if "hmac_with_public_pem" in spec:
        pem = keys[spec["hmac_with_public_pem"]].public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        header = {"alg": alg, "typ": "JWT", **headers}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        mac = hmac.new(pem, signing_input.encode(), digest).digest()
        return signing_input + "." + b64url(mac)
    name = spec["key"]
    if name == "hmac":
        key = secret.encode()
    else:
        key = keys[name]
        if not spec.get("no_kid"):
            headers.setdefault("kid", name)
    return jwt.encode(claims, key, algorithm=alg, headers=headers or None)


def main() -> None:
    spec = json.loads(sys.argv[1])
    keys = {k["kid"]: make_key(k["kty"]) for k in spec.get("keys", [])}
    secret = spec.get("hmac")
    out = {"jwks": {}, "tokens": {}}
    for set_name, kids in spec.get("jwks", {}).items():
        doc = {"keys": [public_jwk(kid, keys[kid]) for kid in kids]}
        out["jwks"][set_name] = json.dumps(doc, separators=(",", ":"))
    for token_name, token_spec in spec.get("tokens", {}).items():
        out["tokens"][token_name] = mint(token_spec, keys, secret)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
