"""The table "where each chapter's code lives" in docs/architecture.md, made from the package's
"Used in chapters ..." docstrings (tests/project/test_docs.py fails when the page and the code differ).

    python docs/chapters_table.py          # print the table
    python docs/chapters_table.py --write  # put it into docs/architecture.md
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- chapters: made by docs/chapters_table.py from the 'Used in chapters' docstrings -->"
END = "<!-- end of chapters -->"
USED_IN = re.compile(r"Used in chapters? ([0-9b, ]+)\.")


def uses() -> dict[str, dict[str, list[str]]]:
    """chapter -> module (path under k8slab/, without .py) -> the names it uses there, in file order."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted((ROOT / "k8slab").rglob("*.py")):
        module = path.relative_to(ROOT / "k8slab").with_suffix("").as_posix().removesuffix("/__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                continue
            said = USED_IN.search(ast.get_docstring(node) or "")
            for chapter in (c.strip() for c in (said.group(1).split(",") if said else [])):
                found.setdefault(chapter, {}).setdefault(module, []).append(node.name)
    return found


def table() -> str:
    notebooks = {p.name.split("-", 1)[0]: p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    rows = ["| chapter | notebook | the kit's code it calls (module: names) |", "| --- | --- | --- |"]
    for chapter, modules in sorted(uses().items()):
        code = "; ".join(f"`{m}`: {', '.join(names)}" for m, names in sorted(modules.items()))
        rows.append(f"| {chapter} | `{notebooks.get(chapter, '?')}` | {code} |")
    return "\n".join(rows)


def page_with_table(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        PAGE.write_text(page_with_table(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(table())
