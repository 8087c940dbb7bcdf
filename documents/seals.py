"""The seal that binds an electronic signature to its record: an HMAC over who
signed which document of which case, meaning what, when, and the sha256 of the
exact bytes signed. Changing any of them, or the file, breaks it."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def seal(
    *,
    document_id: int,
    case_id: int,
    signer_id: int,
    printed_name: str,
    meaning: str,
    signed_at_iso: str,
    content_sha256: str,
) -> str:
    message = "|".join(
        [
            str(document_id),
            str(case_id),
            str(signer_id),
            printed_name,
            meaning,
            signed_at_iso,
            content_sha256,
        ]
    ).encode()
    key = hashlib.sha256(b"npp-signature:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal_matches(expected: str, actual: str) -> bool:
    return hmac.compare_digest(expected, actual)
