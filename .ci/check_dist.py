"""Check the built sdist and wheel hold what the source tree ships.

    python .ci/check_dist.py dist

The wheel must hold every module of ``sknmi/`` (from the source tree, so a new
subpackage that packaging misses fails here), ``py.typed``, the licence and the
``sknmi`` command, at the version of ``sknmi.__version__``; the sdist must hold
the same modules, the licence, README and pyproject.toml.
"""

import ast
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def source_version():
    tree = ast.parse((ROOT / "sknmi" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "__version__":
            return node.value.value
    raise SystemExit("sknmi/__init__.py sets no __version__")


def expected_package_files():
    files = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "sknmi").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    return files | {"sknmi/py.typed"}


def check(dist):
    version = source_version()
    package = expected_package_files()
    problems = []
    wheels = sorted(Path(dist).glob("sknmi-*.whl"))
    sdists = sorted(Path(dist).glob("sknmi-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise SystemExit(f"expected one wheel and one sdist in {dist}")
    with zipfile.ZipFile(wheels[0]) as whl:
        names = set(whl.namelist())
        info = f"sknmi-{version}.dist-info"
        problems += [f"wheel lacks {f}" for f in sorted(package - names)]
        for f in (f"{info}/licenses/LICENSE", f"{info}/entry_points.txt"):
            if f not in names:
                problems.append(f"wheel lacks {f}")
        if f"{info}/entry_points.txt" in names:
            entry = whl.read(f"{info}/entry_points.txt").decode()
            if "sknmi = sknmi.cli:main" not in entry:
                problems.append("wheel's entry points lack the sknmi command")
        stray = sorted(n for n in names if not n.startswith(("sknmi/", info)))
        problems += [f"wheel holds {n}, outside the package" for n in stray]
    with tarfile.open(sdists[0]) as sdist:
        prefix = f"sknmi-{version}/"
        names = {n.removeprefix(prefix) for n in sdist.getnames()}
        wanted = package | {"LICENSE", "README.md", "pyproject.toml"}
        problems += [f"sdist lacks {f}" for f in sorted(wanted - names)]
    for p in problems:
        print(f"check_dist: {p}", file=sys.stderr)
    if problems:
        raise SystemExit(1)
    print(
        f"check_dist: {wheels[0].name} and {sdists[0].name} hold all "
        f"{len(package)} package files, the licence and the command"
    )


if __name__ == "__main__":
    check(sys.argv[1] if len(sys.argv) > 1 else "dist")
