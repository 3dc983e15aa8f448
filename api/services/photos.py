"""Contact photos: decoded on import, kept as small JPEG thumbnails for the PWA.

A photo is an untrusted image: a 97 KB PNG can declare 8900x8900 pixels and cost 400 MB and
seconds to decode. The pixel count in the header is checked against a small budget before any
pixel is decoded, JPEGs are decoded at a reduced scale (`draft`), and callers run `thumbnail` in
a worker thread, never on the event loop or inside the write transaction (issue 12).
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass
from types import ModuleType

THUMB_PX = 128
MAX_SOURCE_BYTES = 8 * 1024 * 1024
# A 24-megapixel camera photo fits; a decompression bomb does not.
MAX_PIXELS = 25_000_000
# Only the formats address books embed (RFC 6350 6.2.4 names JPEG, PNG and GIF); Pillow's other
# decoders are attack surface no vCard needs.
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")


@functools.cache
def _pillow() -> ModuleType:
    """Pillow, loaded with the first photo (most imports have none: `kith` starts sooner), and
    fenced before any image is opened: its own fence (at open, before `.size` can be read)
    stands well above the budget, so the budget's issue can name the size; Pillow only warns
    between MAX_IMAGE_PIXELS and twice that, and that warning is an error here: it never falls
    through to a decode."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = 4 * MAX_PIXELS
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
    return Image


UNREADABLE = "the photo is not a readable image: skipped"


@dataclass(frozen=True, slots=True)
class Thumb:
    """A thumbnail, or why there is none (`problem` is the card's issue text)."""

    jpeg: bytes | None
    problem: str | None = None


def _too_large(width: int, height: int) -> Thumb:
    megapixels = MAX_PIXELS // 1_000_000
    return Thumb(
        None,
        f"the photo is {width}x{height} pixels, over the {megapixels}-megapixel limit: skipped",
    )


def thumbnail(data: bytes) -> Thumb:
    """A square-ish JPEG of at most 128 px, or the reason the photo was skipped.

    CPU-bound: call it from a worker thread (`anyio.to_thread.run_sync`).
    """
    if not data:
        return Thumb(None)
    if len(data) > MAX_SOURCE_BYTES:
        return Thumb(None, f"the photo is over {MAX_SOURCE_BYTES // (1024 * 1024)} MB: skipped")
    image = _pillow()
    try:
        with image.open(io.BytesIO(data), formats=FORMATS) as source:
            width, height = source.size  # from the header: nothing decoded yet
            if width * height > MAX_PIXELS:
                return _too_large(width, height)
            # JPEG decodes at 1/2 to 1/8 scale when that still covers the thumbnail.
            source.draft("RGB", (THUMB_PX, THUMB_PX))
            source.load()
            rgb = source.convert("RGB")
        rgb.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        rgb.save(out, format="JPEG", quality=82, optimize=True)
        return Thumb(out.getvalue())
    except (image.DecompressionBombError, image.DecompressionBombWarning):
        return Thumb(
            None, f"the photo is over the {MAX_PIXELS // 1_000_000}-megapixel limit: skipped"
        )
    except (image.UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        return Thumb(None, UNREADABLE)
