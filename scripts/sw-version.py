#!/usr/bin/env python3
"""Set sw.js's VERSION to the hash tests/api/test_web_assets.py expects (run after editing web/)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.api.test_web_assets import WEB, shell_version

sw = WEB / "sw.js"
text = sw.read_text()
new = re.sub(r'const VERSION = "[^"]*";', f'const VERSION = "{shell_version()}";', text)
sw.write_text(new)
print(shell_version())
