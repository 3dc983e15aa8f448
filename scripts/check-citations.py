#!/usr/bin/env python3
"""Fails when a comment cites a design section that docs/design/ does not have (run by `make lint`).

A citation is `DESIGN.md section 4`, `scoring.md 2.4 and 2.5`, `scoring.md 1.6 / 5.4`,
`tech.md s3`, `tech.md pitfall 10`, `DESIGN.md 3-4`: each number must be a numbered heading of that
file (`## 4.` or `### 2.4`), a pitfall an item of tech.md's numbered list in section 0.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "design"
SCANNED = ("api", "pipeline", "web", "tests", "bench", "scripts")
SUFFIXES = {".py", ".js", ".html", ".css", ".sh", ".md", ".toml"}
NUMBER = r"\d+(?:\.\d+)?"
CITATION = re.compile(
    rf"\b(DESIGN|scoring|tech|architecture|peers)\.md,?\s+(?:(pitfalls?)\s+|section\s+|§\s*|s(?=\d))?"
    rf"({NUMBER}(?:\s*(?:,|and|/|-)\s*{NUMBER})*)"
)


def headings(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(rf"^#{{2,4}}\s+({NUMBER})\.?\s", text, re.MULTILINE)}


def pitfalls(text: str) -> set[str]:
    section0 = text.split("\n## 1.", 1)[0]
    return {m.group(1) for m in re.finditer(r"^(\d+)\.\s", section0, re.MULTILINE)}


def main() -> int:
    sections = {p.stem: headings(p.read_text()) for p in DOCS.glob("*.md")}
    tech_pitfalls = (
        pitfalls((DOCS / "tech.md").read_text()) if (DOCS / "tech.md").exists() else set()
    )
    bad: list[str] = []
    count = 0
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix not in SUFFIXES or "node_modules" in path.parts or not path.is_file():
                continue
            for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                for match in CITATION.finditer(line):
                    doc, pitfall, numbers = match.groups()
                    known = tech_pitfalls if pitfall else sections.get(doc)
                    for number in re.findall(NUMBER, numbers):
                        count += 1
                        if known is None or number not in known:
                            where = path.relative_to(ROOT)
                            kind = "pitfall" if pitfall else "section"
                            bad.append(
                                f"{where}:{lineno}: {doc}.md {kind} {number} is not in docs/design/"
                            )
    for line in bad:
        print(line)
    if bad:
        return 1
    print(f"{count} design citations, each found in docs/design/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
