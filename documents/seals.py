"""The seal that binds an electronic signature to its record: an HMAC over who
signed which document of which case, meaning what, when, and the sha256 of the
exact bytes signed. Changing any of them, or the file, breaks it.

The HMAC key is one of the signing keys (settings.NPP_SIGNING_KEYS), named by the
id each signature records, never SECRET_KEY itself: a database restored under
another SECRET_KEY, or sealed before a key rotation, still verifies. The "legacy" id
is the key derived from SECRET_KEY that sealed the first signatures."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


class UnknownSigningKey(LookupError):
    """A signature names a key this installation does not hold."""


def current_key_id() -> str:
    return settings.NPP_SIGNING_KEY_ID


def _key(key_id: str) -> bytes:
    try:
        secret = settings.NPP_SIGNING_KEYS[key_id]
    except KeyError:
        raise UnknownSigningKey(key_id) from None
    return hashlib.sha256(b"npp-signature:" + secret.encode()).digest()


def seal(
    *,
    key_id: str,
    document_id: int,
    case_id: int,
    signer_id: int,
    printed_name: str,
    meaning: str,
    signed_at_iso: str,
    content_sha256: str,
    capacity: str = "",
) -> str:
    parts = [
        str(document_id),
        str(case_id),
        str(signer_id),
        printed_name,
        meaning,
        signed_at_iso,
        content_sha256,
    ]
    # The capacity (a minor's parent or guardian) joined the seal later: appended only
    # when there is one, so that every signature sealed before still verifies.
    if capacity:
        parts.append(capacity)
    message = "|".join(parts).encode()
    return hmac.new(_key(key_id), message, hashlib.sha256).hexdigest()


def seal_matches(expected: str, actual: str) -> bool:
    return hmac.compare_digest(expected, actual)
