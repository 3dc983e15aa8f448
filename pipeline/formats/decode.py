"""Turning an export's bytes into text: BOMs first, then strict UTF-8, then a guarded guess."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from pipeline.models import UnreadableFile

_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _looks_utf16(raw: bytes) -> str | None:
    """UTF-16 without a BOM: text of mostly ASCII has a NUL in every other byte."""
    sample = raw[:4000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _mostly_text(text: str) -> bool:
    """Real exports are text: at most a few control characters or replacement marks."""
    sample = text[:4000]
    bad = sum(1 for ch in sample if (ch < " " and ch not in "\t\r\n") or ch == "\ufffd")
    return bad <= 0.05 * max(1, len(sample))


_CHUNK = 1 << 16


def decode_head(raw: bytes, chars: int) -> str:
    """`decode_bytes(raw)[0][:chars]`, without building the whole text when it is UTF-8.

    The whole file must still be valid UTF-8 for its head to be read as UTF-8: an incremental
    decoder checks it in 64 KB pieces (cache-sized, about 4x faster than one decode of a large
    file) and only the first pieces are kept.
    """
    if not raw or raw.isspace() or raw.startswith((*_WIDE_BOMS, codecs.BOM_UTF8)):
        return decode_bytes(raw)[0][:chars]
    if _looks_utf16(raw) or b"\x00" in raw[:8000]:
        return decode_bytes(raw)[0][:chars]
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    pieces: list[str] = []
    kept = 0
    try:
        for start in range(0, len(raw), _CHUNK):
            piece = decoder.decode(view[start : start + _CHUNK])
            if kept < chars:
                pieces.append(piece)
                kept += len(piece)
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return decode_bytes(raw)[0][:chars]
    return "".join(pieces)[:chars]


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """(text, encoding). Raises UnreadableFile for empty or binary input.

    Order matters (tech.md pitfall 14): a BOM is authoritative, strict UTF-8 next, UTF-16 by its
    NUL pattern, and only then charset-normalizer restricted to the Western code pages that real
    exports use; cp1252 is the last resort because every byte decodes in it.
    """
    if not raw.strip():
        raise UnreadableFile("the file is empty")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace"), encoding.replace("-sig", "")
    utf16 = _looks_utf16(raw)
    if utf16:
        text = raw.decode(utf16, errors="replace")
        if not _mostly_text(text):
            raise UnreadableFile("the file is binary, not a contact or calendar export")
        return text, utf16
    if b"\x00" in raw[:8000]:
        raise UnreadableFile("the file is binary, not a contact or calendar export")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw, cp_isolation=["cp1252", "latin_1", "iso8859_15", "shift_jis"]).best()
    if best is not None and best.encoding in {"cp1252", "latin_1", "iso8859_15", "shift_jis"}:
        return str(best), best.encoding
    return raw.decode("cp1252", errors="replace"), "cp1252"
