"""Static checks of the PWA in web/: what the server sends for it, what the service worker
precaches, the manifest and icons, the Content-Security-Policy rules the code must keep, the
shell's size and the colour contrast of both themes."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from api.app import create_app
from api.settings import Settings

WEB = Path(__file__).resolve().parents[2] / "web"
SHELL_BUDGET_BYTES = 150 * 1024
OFFLINE_BUDGET_BYTES = 200 * 1024


def precache_list() -> list[str]:
    source = (WEB / "sw.js").read_text()
    block = re.search(r"const PRECACHE = \[(.*?)\];", source, re.S)
    assert block, "sw.js declares its PRECACHE list"
    return re.findall(r'"([^"]+)"', block.group(1))


def web_path(url: str) -> Path:
    return WEB / ("index.html" if url == "/" else url.lstrip("/"))


def shell_version() -> str:
    """The VERSION sw.js must carry: a hash of every precached file and of sw.js itself (with
    the VERSION line blanked), so any change under web/ makes browsers install a new version."""
    digest = hashlib.sha256()
    for url in sorted(precache_list()):
        digest.update(url.encode() + b"\0" + web_path(url).read_bytes() + b"\0")
    sw = re.sub(r'const VERSION = "[^"]*";', 'const VERSION = "";', (WEB / "sw.js").read_text())
    digest.update(sw.encode())
    return digest.hexdigest()[:8]


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A client with no session: every file here must be served to a signed-out browser (the
    installability check fetches icons and the manifest without cookies)."""
    data_dir = tmp_path_factory.mktemp("web-assets")
    settings = Settings(
        database_url=f"sqlite:///{data_dir}/unused.sqlite3",
        data_dir=data_dir,
        secret_key="test-secret-key",
    )
    return create_app(settings, migrate_on_start=False, start_scheduler=False)


@pytest.fixture
async def web_client(anonymous: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=anonymous)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_service_worker_is_served_at_the_root_with_its_scope_header_and_never_stale(
    web_client,
):
    r = await web_client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers.get("service-worker-allowed") == "/"
    assert "no-cache" in r.headers.get("cache-control", "")


async def test_manifest_is_served_as_application_manifest_json_with_what_install_needs(
    web_client,
):
    r = await web_client.get("/manifest.webmanifest")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == "application/manifest+json"
    manifest = r.json()
    required = ("name", "short_name", "id", "start_url", "scope", "theme_color", "background_color")
    for key in required:
        assert manifest.get(key), key
    assert manifest["display"] == "standalone"
    assert manifest["scope"] == "/" and manifest["start_url"].startswith("/")
    icons = {(i["sizes"], i["purpose"], i["type"]) for i in manifest["icons"]}
    for size in ("192x192", "512x512"):
        for purpose in ("any", "maskable"):
            assert (size, purpose, "image/png") in icons, (size, purpose)


async def test_manifest_icons_are_real_pngs_of_their_size_served_without_a_session(web_client):
    manifest = json.loads((WEB / "manifest.webmanifest").read_text())
    for icon in manifest["icons"]:
        r = await web_client.get(icon["src"])
        assert r.status_code == 200, icon["src"]
        assert r.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(r.content))
        assert image.format == "PNG"
        assert f"{image.width}x{image.height}" == icon["sizes"]


async def test_every_precached_file_exists_and_is_served_without_a_session(web_client):
    urls = precache_list()
    assert "/" in urls and "/offline.html" in urls
    for url in urls:
        assert web_path(url).is_file(), f"{url} is precached but missing from web/"
        r = await web_client.get(url)
        assert r.status_code == 200, url


def test_every_shell_file_is_precached():
    shell = {
        "/" + p.relative_to(WEB).as_posix()
        for p in WEB.rglob("*")
        if p.is_file() and p.suffix in {".js", ".css", ".html", ".png", ".webmanifest"}
    }
    shell -= {"/sw.js", "/index.html"}  # the worker itself; index.html is precached as "/"
    assert shell <= set(precache_list()), sorted(shell - set(precache_list()))


def test_every_module_import_resolves_to_a_precached_file():
    precached = set(precache_list())
    imports = re.compile(r'^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"', re.M)
    lazy = re.compile(r'\bimport\("([^"]+)"\)')  # screens load when first shown
    for js in WEB.joinpath("js").rglob("*.js"):
        text = js.read_text()
        for spec in imports.findall(text) + lazy.findall(text):
            target = (js.parent / spec).resolve()
            assert target.is_file(), f"{js.name} imports {spec}, which does not exist"
            assert "/" + target.relative_to(WEB).as_posix() in precached, f"{spec} is not precached"


def test_service_worker_version_changes_with_the_shell():
    declared = re.search(r'const VERSION = "([^"]*)";', (WEB / "sw.js").read_text())
    assert declared, "sw.js has a VERSION const"
    expected = shell_version()
    assert declared.group(1) == expected, (
        f'web/ changed but sw.js still says VERSION = "{declared.group(1)}": set it to '
        f'"{expected}" so installed apps pick up the new version'
    )


def test_service_worker_awaits_its_precache_cleans_old_caches_and_skips_the_feed():
    source = (WEB / "sw.js").read_text()
    assert re.search(r"event\.waitUntil\(\s*caches\s*\.open\(SHELL_CACHE\)", source)
    assert "cache.addAll(" in source
    assert re.search(r'addEventListener\("activate"[\s\S]*caches\.delete', source)
    assert 'request.method !== "GET"' in source
    assert 'url.pathname.startsWith("/feed/")' in source
    assert '"SKIP_WAITING"' in source


async def test_csp_forbids_inline_script_and_the_pages_need_none(web_client):
    r = await web_client.get("/")
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    for page in ("index.html", "offline.html"):
        html = (WEB / page).read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"inline script in {page}: {tag}"
        assert not re.search(r"<style\b", html), f"a <style> element in {page}"
        assert not re.search(r"\sstyle\s*=", html), f"a style attribute in {page}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"an inline event handler in {page}"


def test_scripts_never_parse_html_strings_or_evaluate_code():
    banned = {
        "innerHTML": r"\.innerHTML\b",
        "outerHTML": r"\.outerHTML\b",
        "insertAdjacentHTML": r"insertAdjacentHTML",
        "document.write": r"document\.write",
        "eval": r"\beval\s*\(",
        "new Function": r"new\s+Function\b",
        "string timers": r"set(?:Timeout|Interval)\(\s*[\"'`]",
        "style attributes": r"setAttribute\(\s*[\"']style",
    }
    for js in [*WEB.joinpath("js").rglob("*.js"), WEB / "sw.js"]:
        source = js.read_text()
        for name, pattern in banned.items():
            assert not re.search(pattern, source), f"{js.relative_to(WEB)} uses {name}"


STATIC_IMPORT = re.compile(r"^\s*import\s(?:[^;]*?\sfrom\s)?[\"']([^\"']+)[\"']", re.M)
PAGE_ASSET = re.compile(
    r'<(?:link rel="stylesheet"|script type="module")[^>]*(?:href|src)="([^"]+)"'
)


def first_load() -> set[Path]:
    """What the first screen fetches before it can paint: index.html, its stylesheet and module,
    and every module reached by static imports (views come by dynamic `import()` when shown)."""
    index = WEB / "index.html"
    files = {index}
    todo = [WEB / url.lstrip("/") for url in PAGE_ASSET.findall(index.read_text())]
    while todo:
        path = todo.pop().resolve()
        if path in files:
            continue
        files.add(path)
        if path.suffix == ".js":
            todo += [path.parent / spec for spec in STATIC_IMPORT.findall(path.read_text())]
    return files


def test_first_load_of_the_shell_is_under_150_kb():
    total = sum(path.stat().st_size for path in first_load())
    assert total < SHELL_BUDGET_BYTES, f"the first screen needs {total} bytes uncompressed"


def test_the_offline_copy_of_the_whole_shell_is_under_200_kb():
    """Every screen, precached by the service worker after the first screen was shown."""
    total = sum(web_path(url).stat().st_size for url in precache_list())
    total += (WEB / "sw.js").stat().st_size
    assert total < OFFLINE_BUDGET_BYTES, f"the offline shell is {total} bytes uncompressed"


def test_index_has_what_a_home_screen_app_needs():
    html = (WEB / "index.html").read_text()
    assert '<meta name="viewport"' in html
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'rel="apple-touch-icon"' in html
    assert '<html lang="en">' in html
    assert '<script type="module" src="/js/main.js"></script>' in html


# --- colour contrast (WCAG 2.1 AA: 4.5:1 for text) --------------------------------------------

TEXT_PAIRS = [
    ("text", "bg"),
    ("text", "surface"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("accent", "bg"),
    ("accent", "surface"),
    ("on-accent", "accent"),
    ("on-topbar", "topbar"),
    ("tag-text", "tag-bg"),
    ("none-text", "none-bg"),
    ("danger", "bg"),
    ("danger", "surface"),
    ("warn-text", "warn-bg"),
    ("toast-text", "toast-bg"),
    ("toast-accent", "toast-bg"),
    ("text", "done-bg"),
    ("muted", "done-bg"),
    ("accent-strong", "accent-soft"),
    ("text", "accent-soft"),
    ("good", "surface"),
]
# Boundaries of controls and the meter's colours need 3:1 (WCAG 2.1 1.4.11).
UI_PAIRS = [("control", "surface"), ("control", "bg"), ("focus", "bg"), ("focus", "surface")]


def theme_colours() -> dict[str, dict[str, str]]:
    css = (WEB / "css" / "app.css").read_text()
    light = re.search(r":root\s*\{(.*?)\}", css, re.S)
    dark = re.search(r"prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S)
    assert light and dark, "app.css defines its colours on :root, and again for dark mode"

    def parse(block: str) -> dict[str, str]:
        return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", block))

    return {"light": parse(light.group(1)), "dark": parse(dark.group(1))}


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_colours_meet_wcag_aa_contrast_in_both_themes(theme):
    colours = theme_colours()[theme]
    low = [
        f"{fg} on {bg}: {contrast(colours[fg], colours[bg]):.2f}"
        for fg, bg in TEXT_PAIRS
        if contrast(colours[fg], colours[bg]) < 4.5
    ]
    low += [
        f"{fg} on {bg}: {contrast(colours[fg], colours[bg]):.2f}"
        for fg, bg in UI_PAIRS
        if contrast(colours[fg], colours[bg]) < 3
    ]
    assert low == []


def test_dark_theme_overrides_every_colour():
    colours = theme_colours()
    assert set(colours["dark"]) == set(colours["light"])


async def test_the_manifest_revalidates_with_its_etag_and_gets_304(web_client):
    first = await web_client.get("/manifest.webmanifest")
    etag = first.headers["etag"]
    again = await web_client.get("/manifest.webmanifest", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest"])
async def test_the_worker_and_manifest_answered_from_memory_carry_what_the_stack_would_add(
    web_client, path
):
    """They skip Litestar's middleware (api/routes/web.py): the security headers, gzip for a
    client that accepts it, and Litestar's own answer to other methods must all still be there."""
    plain = await web_client.get(path, headers={"accept-encoding": "identity"})
    zipped = await web_client.get(path, headers={"accept-encoding": "gzip"})
    body = (WEB / path.lstrip("/")).read_bytes()
    assert plain.content == zipped.content == body
    assert plain.headers["content-length"] == str(len(body))
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["etag"] == plain.headers["etag"]
    for r in (plain, zipped):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert (await web_client.head(path)).status_code == 405
    assert (await web_client.post(path)).status_code in (403, 405)
