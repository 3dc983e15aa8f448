"""vCard PHOTO values to image bytes: base64 (`ENCODING=b`/`BASE64`) or `data:` URIs, never fatal."""

from __future__ import annotations

import binascii
import re

_DATA_URI = re.compile(r"data:([^,]*?);base64,", re.IGNORECASE)
_BASE64_ENCODING = re.compile(r"ENCODING=\"?(?:B|BASE64)\b|(?:^|;)BASE64(?:;|$)", re.IGNORECASE)
_TAIL = 32  # exporters pad some images with a few bytes after the end marker


def _truncated(image: bytes) -> bool:
    """True for a JPEG without its EOI marker or a PNG without its IEND chunk."""
    if image.startswith(b"\xff\xd8"):
        return b"\xff\xd9" not in image[-_TAIL:]
    if image.startswith(b"\x89PNG"):
        return b"IEND" not in image[-_TAIL:]
    return False


def read_photo(raw_params: str, value: str) -> tuple[bytes | None, str | None]:
    """(image bytes, problem). URLs and empty values give (None, None): nothing is fetched."""
    payload = value.strip()
    if not payload:
        return None, None
    if _BASE64_ENCODING.search(raw_params) is None:
        # vCard 4.0 (RFC 6350 6.2.4) embeds photos as data: URIs; anything else is a link.
        match = _DATA_URI.match(payload)
        if match is None:
            return None, None
        payload = payload[match.end() :]
    compact = "".join(payload.split())
    try:
        image = binascii.a2b_base64(compact)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII text
        return None, "PHOTO is not valid base64 (truncated or damaged); photo skipped"
    if len(image) < 16 or _truncated(image):
        return None, "PHOTO image is truncated; photo skipped"
    return image, None
