"""Contact photos: decoded on import, kept as small JPEG thumbnails for the PWA."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

THUMB_PX = 128
MAX_SOURCE_BYTES = 8 * 1024 * 1024
Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs


def thumbnail(data: bytes) -> bytes | None:
    """A square-ish JPEG of at most 128 px, or None when the bytes are not a readable image."""
    if not data or len(data) > MAX_SOURCE_BYTES:
        return None
    try:
        with Image.open(io.BytesIO(data)) as source:
            source.load()
            rgb = source.convert("RGB")
        rgb.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        rgb.save(out, format="JPEG", quality=82, optimize=True)
        return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
