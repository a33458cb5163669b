"""The files that make sknmi a package people install and maintainers pick up."""

import os
import re
import subprocess
import sys
from pathlib import Path

import sknmi

ROOT = Path(__file__).resolve().parent.parent


def test_pre_commit_runs_the_ruff_of_ci():
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    rev = re.search(r"ruff-pre-commit\s+rev:\s*v(\S+)", config).group(1)
    pin = re.search(r'"ruff==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert pin is not None, "the test extra pins ruff (==) for pre-commit to match"
    assert rev == pin.group(1)
    assert "id: ruff-check" in config and "--check" in config


def test_maintainer_files_exist_and_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in ("LICENSE", "CONTRIBUTING.md", "CHANGELOG.md", "CITATION.cff"):
        assert (ROOT / name).is_file(), name
        assert f"]({name})" in readme, f"README does not link {name}"
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text()


def test_release_history_starts_with_this_version():
    history = (ROOT / "doc" / "whats_new.rst").read_text()
    first = re.search(r"^Version (\S+)$", history, re.M).group(1)
    assert first == sknmi.__version__
    assert "whats_new" in (ROOT / "doc" / "index.rst").read_text()


def _run(code):
    """Run ``code`` in a fresh interpreter that imports this checkout of sknmi."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )


def test_baselines_load_without_torch():
    # The baselines and their helpers are numpy / scipy / scikit-learn only:
    # a KSG estimate should not pay for starting torch.
    result = _run(
        "import sys, sknmi.baselines; assert 'torch' not in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith('sknmi'))"
    )
    assert result.returncode == 0, result.stderr


def test_lazy_package_names():
    result = _run(
        "import pickle, sys, sknmi\n"
        "assert 'torch' not in sys.modules\n"
        "from sknmi import NeuralMIEstimator, KSGEstimator\n"
        "assert sknmi.KSGEstimator is KSGEstimator\n"
        "assert set(sknmi.__all__) <= set(dir(sknmi))\n"
        "est = pickle.loads(pickle.dumps(NeuralMIEstimator(max_iter=3)))\n"
        "assert est.max_iter == 3\n"
        "assert sknmi.datasets.make_gaussian\n"
        "try:\n"
        "    sknmi.no_such_name\n"
        "except AttributeError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    assert result.returncode == 0, result.stderr


def test_the_package_imports_without_circles():
    # Data flow one way: no module of sknmi imports (at its top or inside a
    # function) a module that imports it back, however long the way round.
    import ast
    from pathlib import Path

    root = Path(sknmi.__file__).parent
    names = {
        "sknmi." + ".".join(p.relative_to(root).with_suffix("").parts): p
        for p in root.rglob("*.py")
    }
    names = {k.removesuffix(".__init__"): p for k, p in names.items()}
    graph = {}
    for name, path in names.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                base = node.module
                targets |= {f"{base}.{a.name}" for a in node.names} | {base}
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
        graph[name] = {t for t in targets if t in names and t != name}
    graph.pop("sknmi", None)  # the lazy namespace imports only for type checkers
    for deps in graph.values():
        deps.discard("sknmi")
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in graph.get(node, ()):
            assert state.get(nxt) != "open", " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [])
