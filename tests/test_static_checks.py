"""The static checks run with the suite, so CI fails when they do: the type checker on `policygraph/`
(configured in pyproject.toml, `[tool.mypy]`) and ruff (pyflakes, pycodestyle, import order, bugbear)
on the package, the tests and the benchmarks. The import contract is in the unit tier
(tests/unit/test_structure.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_the_type_checker_passes_on_the_package():
    proc = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "Success: no issues found" in proc.stdout


def test_ruff_passes():
    proc = subprocess.run([_tool("ruff"), "check", "policygraph", "tests", "bench"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
