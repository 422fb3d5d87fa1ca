#!/usr/bin/python3
"""Writes an RS256 key's JWKS to argv[1] and prints a token signed with it (sub bench, one hour).

Uses Debian's python3-jwt and python3-cryptography, both in scripts/packages.txt."""
import json
import sys
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
jwk.update({"kid": "bench", "alg": "RS256", "use": "sig"})
with open(sys.argv[1], "w") as f:
    json.dump({"keys": [jwk]}, f)
now = int(time.time())
print(jwt.encode({"sub": "bench", "iss": "https://bench.example", "aud": "bench", "iat": now,
                  "exp": now + 3600}, key, algorithm="RS256", headers={"kid": "bench"}))
