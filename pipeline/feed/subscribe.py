"""Subscription links for the feed (webcal, Google, Outlook) and the QR code that carries one."""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import segno

GOOGLE_ADD = "https://calendar.google.com/calendar/render"
OUTLOOK_ADD = "https://outlook.live.com/calendar/0/addfromweb"
OUTLOOK_WORK_ADD = "https://outlook.office.com/calendar/0/addfromweb"


@dataclass(frozen=True, slots=True)
class Links:
    """Every way to subscribe to one feed URL."""

    webcal: str  # Apple Calendar, iOS, Outlook desktop: opens the subscribe dialog
    https: str  # paste into any client; Outlook on the web needs this form, not webcal
    google: str
    outlook: str  # outlook.com / personal accounts
    outlook_work: str  # Microsoft 365 work or school accounts


def subscription_links(https_url: str, name: str) -> Links:
    """Links for the feed at `https_url` (http allowed for local use), named `name` in Outlook.

    Raises ValueError unless the URL is an absolute http(s) URL.
    """
    parts = urlsplit(https_url.strip())
    parts = parts._replace(scheme=parts.scheme.lower())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"feed URL must be an absolute http(s) URL, got {https_url!r}")
    web = urlunsplit(parts)
    webcal = urlunsplit(("webcal", *parts[1:]))
    outlook_query = f"url={_enc(web)}&name={_enc(' '.join(name.split()) or 'Kith')}"
    return Links(
        webcal=webcal,
        https=web,
        google=f"{GOOGLE_ADD}?cid={_enc(webcal)}",
        outlook=f"{OUTLOOK_ADD}?{outlook_query}",
        outlook_work=f"{OUTLOOK_WORK_ADD}?{outlook_query}",
    )


def qr_svg(text: str, *, title: str | None = None) -> str:
    """A QR code of `text` as one SVG element, ready to inline in HTML; same text, same string.

    No XML declaration (invalid inside HTML), the SVG namespace kept (so it also works as a file
    or data: URI), sized by viewBox only so CSS sets the size, with an opaque white background
    and the standard 4-module quiet zone so phone cameras read it on dark pages too.
    """
    # make_qr, not make: segno.make picks a Micro QR for short text, which phone cameras ignore.
    code = segno.make_qr(text, error="m")
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        omitsize=True,
        nl=False,
        border=4,
        dark="#000",
        light="#fff",
        title=title,
        svgclass="kith-qr",
        lineclass=None,
    )
    return out.getvalue().decode("utf-8")


def _enc(value: str) -> str:
    return quote(value, safe="")
