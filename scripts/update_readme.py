#!/usr/bin/env python3
"""Refresh the generated parts of README.md: the program grammar, the variants table and the
handler table (what each kind of handler body may do).

    python scripts/update_readme.py          # rewrite README.md
    python scripts/update_readme.py --check  # exit 1 if README.md is stale
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fuzzcore.handlers import markdown_table as handler_table  # noqa: E402
from fuzzcore.program import GRAMMAR  # noqa: E402
from fuzzcore.variants import markdown_table  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"
GRAMMAR_RE = re.compile(r"(<!-- grammar:[^\n]*-->\n```\n).*?(\n```)", re.S)
VARIANTS_RE = re.compile(r"(<!-- variants:[^\n]*-->\n).*?(\n\n###)", re.S)
HANDLERS_RE = re.compile(r"(<!-- handlers:[^\n]*-->\n).*?(\n\n)", re.S)


def render(text: str) -> str:
    text = GRAMMAR_RE.sub(lambda m: m.group(1) + GRAMMAR.rstrip("\n") + m.group(2), text)
    text = HANDLERS_RE.sub(lambda m: m.group(1) + handler_table() + m.group(2), text)
    return VARIANTS_RE.sub(lambda m: m.group(1) + markdown_table().rstrip("\n") + m.group(2), text)


def main() -> int:
    old = README.read_text()
    new = render(old)
    if "--check" in sys.argv:
        if new != old:
            print("README.md is stale: run python scripts/update_readme.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
