"""Imports sit at module top, where the import graph (and import-linter) shows them; an import inside a
function is for start-up time only, and says so with a `# lazy: why` comment on its line."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import aigov

SOURCE = Path(aigov.__file__).parent
# What an installed (not editable) aigov also holds: the paved-road templates' code, copied in at build
# time for the repositories `aigov new` generates. It is theirs, not aigov's, and aigov never imports it.
BUNDLED = "_bundled"


def _imports_in_functions(node: ast.AST, in_function: bool = False) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement inside a function body, except those under `if TYPE_CHECKING:` (never run)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            continue
        if in_function and isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _imports_in_functions(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))


def uncommented_lazy_imports(source: Path) -> list[str]:
    """file:line of each import inside a function whose line has no `# lazy:` comment."""
    found = []
    for path in sorted(source.rglob("*.py")):
        if BUNDLED in path.relative_to(source).parts:
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for statement in _imports_in_functions(ast.parse(text, str(path))):
            if "# lazy: " not in lines[statement.lineno - 1]:
                found.append(f"{path.relative_to(source.parent)}:{statement.lineno}: {lines[statement.lineno - 1].strip()}")
    return found


def test_every_import_inside_a_function_says_why_it_is_lazy() -> None:
    assert uncommented_lazy_imports(SOURCE) == []


def test_the_scan_finds_imports_in_functions_and_skips_type_checking(tmp_path: Path) -> None:
    """The scan itself: an uncommented import in a (nested) function is reported; one at module top,
    one with a `# lazy:` comment and one under TYPE_CHECKING are not."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text(
        "import json\n"
        "from typing import TYPE_CHECKING\n"
        "def f():\n"
        "    import os\n"
        "    if TYPE_CHECKING:\n"
        "        import sys\n"
        "    def g():\n"
        "        from pathlib import Path\n"
        "    import re  # lazy: a reason\n",
        encoding="utf-8",
    )
    (package / BUNDLED / "t").mkdir(parents=True)
    (package / BUNDLED / "t" / "generated.py").write_text("def f():\n    import boto3\n", encoding="utf-8")
    assert uncommented_lazy_imports(package) == ["pkg/mod.py:4: import os", "pkg/mod.py:8: from pathlib import Path"]
