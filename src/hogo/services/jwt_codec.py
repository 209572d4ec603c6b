"""PyJWT with each signing key prepared once: the codec member tokens and tickets go through.

Why: PyJWT prepares the key on every `encode` and `decode`; for an HS256 secret that means
checking it is not a PEM, SSH, DER or JWK key (parsing attempts, a JSON decode), for an EdDSA
key parsing its PEM. That was a fifth of a ticket's verification and half of its signing, and
the consent notice's cycle signs one ticket and verifies it and a member token (issue 15). Here
the algorithms keep what `prepare_key` returned, by the key itself (a string or bytes), so the
checks run once per key; a key they refuse is refused every time (an exception is not kept).
Everything else (signature, algorithm allow-list, claims) is PyJWT's own code, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm, OKPAlgorithm

#: Keys kept per algorithm: the hogo ticket key and a few sites' current and rotated keys.
KEYS_KEPT = 256


def _kept(prepare: Callable[[Any], Any]) -> Callable[[Any], Any]:
    cached = lru_cache(maxsize=KEYS_KEPT)(prepare)

    def prepare_key(key: Any) -> Any:
        return cached(key) if isinstance(key, str | bytes) else prepare(key)

    return prepare_key


class _KeptHMAC(HMACAlgorithm):
    def __init__(self, hash_alg: Any) -> None:
        super().__init__(hash_alg)
        self._prepare = _kept(super().prepare_key)

    def prepare_key(self, key: Any) -> Any:
        return self._prepare(key)


class _KeptOKP(OKPAlgorithm):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._prepare = _kept(super().prepare_key)

    def prepare_key(self, key: Any) -> Any:
        return self._prepare(key)


def _codec() -> jwt.PyJWT:
    codec = jwt.PyJWT()
    jws = codec._jws  # PyJWT's own signature layer: swap only how keys are prepared
    for name, algorithm in (("HS256", _KeptHMAC(HMACAlgorithm.SHA256)), ("EdDSA", _KeptOKP())):
        jws.unregister_algorithm(name)
        jws.register_algorithm(name, algorithm)
    return codec


_CODEC = _codec()
encode = _CODEC.encode
decode = _CODEC.decode
