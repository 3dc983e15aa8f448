#!/usr/bin/env python3
"""Rewrite web/sw.js's VERSION to the hash tests/api/test_web_assets.py expects (run after any
change under web/, e.g. after a merge that touched the shell)."""

import hashlib
import re
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "web"
SW = WEB / "sw.js"
LINE = re.compile(r'const VERSION = "[^"]*";')


def main() -> None:
    text = SW.read_text()
    block = re.search(r"const PRECACHE = \[(.*?)\];", text, re.S)
    assert block, "sw.js has a PRECACHE list"
    digest = hashlib.sha256()
    for url in sorted(re.findall(r'"([^"]+)"', block.group(1))):
        path = WEB / ("index.html" if url == "/" else url.lstrip("/"))
        digest.update(url.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(LINE.sub('const VERSION = "";', text).encode())
    version = digest.hexdigest()[:8]
    SW.write_text(LINE.sub(f'const VERSION = "{version}";', text, count=1))
    print(version)


if __name__ == "__main__":
    main()
