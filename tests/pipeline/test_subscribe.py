"""Subscription links and the QR code: exact link shapes, and a QR that a real decoder reads."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from pipeline.feed.subscribe import qr_svg, subscription_links

FEED = "https://kith.example.org/feed/q1W-e_2rT3yU4iO5/kith.ics"
SVG_NS = "{http://www.w3.org/2000/svg}"


def test_links_for_an_https_feed_have_the_exact_shapes_clients_expect() -> None:
    links = subscription_links(FEED, "Kith")
    webcal = "webcal://kith.example.org/feed/q1W-e_2rT3yU4iO5/kith.ics"
    enc_webcal = "webcal%3A%2F%2Fkith.example.org%2Ffeed%2Fq1W-e_2rT3yU4iO5%2Fkith.ics"
    enc_https = "https%3A%2F%2Fkith.example.org%2Ffeed%2Fq1W-e_2rT3yU4iO5%2Fkith.ics"
    assert links.webcal == webcal
    assert links.https == FEED
    assert links.google == f"https://calendar.google.com/calendar/render?cid={enc_webcal}"
    assert links.outlook == (
        f"https://outlook.live.com/calendar/0/addfromweb?url={enc_https}&name=Kith"
    )
    assert links.outlook_work == (
        f"https://outlook.office.com/calendar/0/addfromweb?url={enc_https}&name=Kith"
    )


def test_an_http_feed_for_local_use_still_gets_a_webcal_link() -> None:
    links = subscription_links("HTTP://localhost:8000/feed/abc/kith.ics", "Kith")
    assert links.webcal == "webcal://localhost:8000/feed/abc/kith.ics"
    assert links.https == "http://localhost:8000/feed/abc/kith.ics"


def test_a_name_with_spaces_ampersands_and_unicode_survives_the_round_trip() -> None:
    name = "Kith — Ana & co?  #1"
    links = subscription_links(FEED, name)
    for link in (links.outlook, links.outlook_work):
        query = parse_qs(urlsplit(link).query)
        assert query == {"url": [FEED], "name": ["Kith — Ana & co? #1"]}
    assert parse_qs(urlsplit(links.google).query) == {"cid": [links.webcal]}


@pytest.mark.parametrize(
    "url",
    ["", "kith.example.org/feed/x.ics", "ftp://kith.example.org/x.ics", "javascript:alert(1)"],
)
def test_anything_but_an_absolute_http_url_is_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        subscription_links(url, "Kith")


def modules(svg: str) -> list[list[bool]]:
    """Rebuild the module grid from segno's path: 'M x y' / 'm dx dy' moves, 'h n' dark runs."""
    root = ET.fromstring(svg)
    _, _, width, height = (int(v) for v in root.attrib["viewBox"].split())
    grid = [[False] * width for _ in range(height)]
    dark = [p for p in root.iter(f"{SVG_NS}path") if p.attrib.get("stroke") == "#000"]
    assert len(dark) == 1
    x = y = 0.0
    for cmd, args in re.findall(r"([MmHh])([-\d. ]+)", dark[0].attrib["d"]):
        nums = [float(n) for n in args.split()]
        if cmd == "M":
            x, y = nums
        elif cmd == "m":
            x, y = x + nums[0], y + nums[1]
        else:
            for col in range(int(x), int(x + nums[0])):
                grid[int(y)][col] = True
            x += nums[0]
    return grid


def decode(svg: str) -> list[str]:
    grid = modules(svg)
    scale = 6
    image = Image.new("L", (len(grid[0]) * scale, len(grid) * scale), 255)
    draw = ImageDraw.Draw(image)
    for row, cells in enumerate(grid):
        for col, is_dark in enumerate(cells):
            if is_dark:
                box = (col * scale, row * scale, (col + 1) * scale - 1, (row + 1) * scale - 1)
                draw.rectangle(box, fill=0)
    found = zxingcpp.read_barcodes(image)
    assert all(code.format == zxingcpp.BarcodeFormat.QRCode for code in found)
    return [code.text for code in found]


@pytest.mark.parametrize("text", ["webcal://kith.example.org/feed/abc/kith.ics", "hi", FEED])
def test_the_qr_code_decodes_back_to_the_link_with_a_real_decoder(text: str) -> None:
    # Short text included: segno.make would choose a Micro QR that phone cameras ignore.
    assert decode(qr_svg(text)) == [text]


def test_the_svg_inlines_cleanly_and_is_identical_on_every_call() -> None:
    svg = qr_svg(FEED, title="Scan to subscribe <Kith> & co")
    assert svg == qr_svg(FEED, title="Scan to subscribe <Kith> & co")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ')
    assert "<?xml" not in svg
    assert "\n" not in svg
    root = ET.fromstring(svg)  # well-formed: the title was escaped
    assert root.find(f"{SVG_NS}title").text == "Scan to subscribe <Kith> & co"  # type: ignore[union-attr]
    assert "width" not in root.attrib and "height" not in root.attrib  # CSS sizes it
    assert qr_svg(FEED) != qr_svg(FEED + "x")


def test_the_qr_code_has_an_opaque_light_background_and_a_quiet_zone() -> None:
    svg = qr_svg("webcal://kith.example.org/feed/abc/kith.ics")
    assert '<path fill="#fff" d="M0 0h' in svg  # readable on a dark-mode page
    grid = modules(svg)
    for edge in (grid[:4], grid[-4:], [row[:4] for row in grid], [row[-4:] for row in grid]):
        assert not any(any(row) for row in edge)
