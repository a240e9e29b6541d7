"""docs/architecture.md matches the code: its chapter table is what the docstrings say, and its
folder list is the package's folders."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "architecture.md"


def chapters_table():
    spec = importlib.util.spec_from_file_location("chapters_table", ROOT / "docs" / "chapters_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_chapter_table_is_the_one_the_docstrings_make():
    made = chapters_table()
    text = PAGE.read_text(encoding="utf-8")
    assert made.page_with_table(text) == text, "run `python docs/chapters_table.py --write`"


def test_the_chapter_table_names_only_code_that_is_there():
    for modules in chapters_table().uses().values():
        for module, names in modules.items():
            path = ROOT / "k8slab" / f"{module}.py"
            source = (path if path.is_file() else ROOT / "k8slab" / module / "__init__.py").read_text()
            assert all(re.search(rf"^\s*(def|class) {name}\b", source, re.M) for name in names), module


def test_every_chapter_has_its_row():
    chapters = {p.name.split("-", 1)[0] for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(chapters_table().uses()) == chapters


def test_the_folder_list_is_the_package():
    text = PAGE.read_text(encoding="utf-8")
    listed = set(re.findall(r"^  (\w+)/ ", text, re.M))
    folders = {p.name for p in (ROOT / "k8slab").iterdir() if (p / "__init__.py").is_file()}
    assert listed == folders
