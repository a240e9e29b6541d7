"""Chapter 09's checks FAIL while a lab is broken and PASS once its solution is applied.

The notebook runs in a real kernel, cell by cell, in a namespace of the test's own. Before each
exercise's solution, the exercise's checks run first and must fail (with a hint that ends with
`lab.diagnose(...)`); then the solution runs, and the same checks must pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

pytestmark = pytest.mark.cluster

CHAPTER = Path(__file__).resolve().parents[2] / "notebooks" / "09-troubleshooting.ipynb"


def is_solution(cell) -> bool:
    return "solution" in cell.metadata.get("tags", [])


def checks_after(cells, i) -> list[int]:
    """The check cells that follow solution cell i, up to the next Markdown cell."""
    out = []
    for j in range(i + 1, len(cells)):
        if cells[j].cell_type == "markdown":
            break
        if "lab.checks." in cells[j].source:
            out.append(j)
    return out


def quick(source: str, seconds: int = 15) -> str:
    """A check call that gives up after `seconds`: a broken lab fails it however long it waits."""
    if "timeout=" in source:
        return re.sub(r"timeout=\d+", f"timeout={seconds}", source)
    return re.sub(r"\)\s*$", f", timeout={seconds})", source)


def text_of(cell) -> str:
    return "\n".join(o.get("text", "") or "\n".join(map(str, (o.get("data") or {}).values())) + o.get("evalue", "")
                     for o in cell.outputs)


def test_each_lab_check_fails_before_its_fix_and_passes_after(kube, namespace, monkeypatch):
    monkeypatch.setenv("K8SLAB_RUN_SOLUTIONS", "1")  # the kernel runs the %%solution cells
    book = nbformat.read(CHAPTER, as_version=4)
    ns_cell = next(c for c in book.cells if c.cell_type == "code" and c.source.startswith("NS = "))
    ns_cell.source = re.sub(r'NS = "[^"]+"', f'NS = "{namespace}"', ns_cell.source, count=1)
    client = NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(CHAPTER.parent)}})
    failed_first: dict[int, str] = {}
    solutions = [i for i, c in enumerate(book.cells) if is_solution(c)]
    assert len(solutions) == 9, "one solution per lab"
    with client.setup_kernel():
        for i, cell in enumerate(book.cells):
            if cell.cell_type != "code":
                continue
            if is_solution(cell):
                for j in checks_after(book.cells, i):
                    check = nbformat.from_dict(dict(book.cells[j]))  # the same check, watching for less long
                    check.source = quick(check.source)
                    with pytest.raises(CellExecutionError):
                        client.execute_cell(check, j)
                    said = text_of(check)
                    assert "FAIL " in said and "lab.diagnose(" in said, f"cell {j} failed without the check's FAIL line: {said[-300:]}"
                    failed_first[j] = said
            client.execute_cell(cell, i)
            if i in failed_first:
                assert "PASS" in text_of(cell), f"cell {i} did not pass after the solution"
    assert len(failed_first) == 9 and sorted(failed_first) == [checks_after(book.cells, s)[0] for s in solutions]
