"""Sphinx configuration of the sknmi documentation.

Build (warnings are errors, every gallery example executed: ``make docs``)::

    sphinx-build -W --keep-going -b html doc doc/_build/html

Add ``-D plot_gallery=0`` for a quick build that does not run the examples
(``make docs-noplot``). The build needs no network, and neither does the site:
there is no intersphinx, references to other projects' objects are written as
plain links, and MathJax is served from the site's own ``_static/mathjax``
(copied from the ``sphinx-mathjax-offline`` package) rather than from a CDN.
"""

import importlib
import importlib.util
import os
import pkgutil
import shutil
import sys

from sphinx.util import logging

# Build the documentation of the source tree, not of an installed copy.
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import sknmi  # noqa: E402

project = "sknmi"
author = "The sknmi developers"
copyright = "2026, The sknmi developers"
release = sknmi.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["templates"]
# generated/: the benchmark tables and figures, written by benchmarks/report.py
# at the start of the build and pulled into benchmarks.rst by ``.. include::``.
exclude_patterns = ["_build", "templates", "generated"]
root_doc = "index"
language = "en"
pygments_style = "sphinx"

# -- Cross-references -------------------------------------------------------------
# Every reference to an sknmi object must resolve: a renamed or missing name
# fails the build. References to other projects (no intersphinx, so the build
# works offline) are left as unresolved literals.
nitpicky = True
_OTHER_PROJECTS = "torch|numpy|np|scipy|sklearn|joblib|pandas|matplotlib|dask|ray"
nitpick_ignore_regex = [(r"py:.*", rf"({_OTHER_PROJECTS})(\..*)?")]

# -- autodoc / autosummary / numpydoc ------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
# torch's docstrings (nn.Module.forward) are not ours to render or check.
autodoc_inherit_docstrings = False
add_module_names = False

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# A small set of checks that catch real mistakes: an undocumented or misspelt
# parameter, a parameter without description, a missing summary, a missing or
# misplaced section. Methods inherited from scikit-learn are not ours to check.
numpydoc_validation_checks = {
    "GL06",  # unknown section
    "GL07",  # sections in the wrong order
    "GL08",  # no docstring
    "PR01",  # parameter in the signature, not in the docstring
    "PR02",  # parameter in the docstring, not in the signature
    "PR07",  # parameter without description
    "PR10",  # "name: type" without the space before the colon
    "RT01",  # returns something, no Returns section
    "SS01",  # no summary
    "SS03",  # summary does not end with a period
}
numpydoc_validation_exclude = {
    r"\.get_params$",
    r"\.set_params$",
    r"\.set_\w+_request$",
    r"\.__init__$",
    r"\.forward$",
}

_logger = logging.getLogger("sknmi.doc")


def _require_examples(app, what, name, obj, options, lines):
    """Warn (an error under -W) when a public class or function has no Examples.

    numpydoc's EX01 would also demand examples of every method; the rule here is
    the project's: each public class and function shows a runnable example.
    """
    if what not in ("class", "function") or not name.startswith("sknmi."):
        return
    if any(part.startswith("_") for part in name.split(".")):
        return
    if not any(
        line.strip() in ("Examples", ":Examples:")
        or line.strip().startswith(".. rubric:: Examples")
        for line in lines
    ):
        _logger.warning(
            "%s %s has no Examples section",
            what,
            name,
            type="sknmi",
            subtype="examples",
        )


def _public_names():
    """Every name in the ``__all__`` of sknmi and of its public modules."""
    names = {f"sknmi.{n}" for n in sknmi.__all__ if not n.startswith("_")}
    for info in pkgutil.iter_modules(sknmi.__path__):
        if info.name.startswith("_"):
            continue  # private, and __main__ would run the command line
        module = importlib.import_module(f"sknmi.{info.name}")
        names |= {f"{module.__name__}.{n}" for n in getattr(module, "__all__", [])}
    return names


def _require_api_entries(app, env):
    """Warn for each public object that the API reference does not document.

    A module that lands without its entries in api.rst fails the build here
    rather than going unnoticed. An object documented under the package
    (``sknmi.KSGEstimator``) counts for the module that defines it too.
    """
    documented = set(env.get_domain("py").objects)
    for name in sorted(_public_names()):
        short = "sknmi." + name.rsplit(".", 1)[1]
        if name not in documented and short not in documented:
            _logger.warning(
                "%s is public (in __all__) but not in doc/api.rst",
                name,
                type="sknmi",
                subtype="api",
            )


def _hide_private_bases(app, name, obj, options, bases):
    """Leave private bases (sknmi._base.NeuralEstimator) out of "Bases:"."""
    bases[:] = [
        b
        for b in bases
        if not any(part.startswith("_") for part in b.__module__.split("."))
        or not b.__module__.startswith("sknmi")
    ]


# -- Maths without a network -------------------------------------------------------
# MathJax 3 (Apache-2.0) comes from the sphinx-mathjax-offline package (the docs
# extra), which ships its files; we copy only what tex-chtml.js loads (itself,
# its fonts and the components it loads on demand), not the package's other
# bundles, and point Sphinx at the copy. A site built this way renders its
# formulas from a local file, a USB stick or a server without internet access.
_MATHJAX_BUNDLE = "tex-chtml.js"
mathjax_path = f"mathjax/{_MATHJAX_BUNDLE}"


def _mathjax_source():
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            'the docs need the sphinx-mathjax-offline package: pip install -e ".[docs]"'
        )
    return os.path.join(spec.submodule_search_locations[0], "static", "mathjax")


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    source = _mathjax_source()
    other_bundles = [
        name
        for name in os.listdir(source)
        if name.endswith(".js")
        and name not in (_MATHJAX_BUNDLE,)
        and not os.path.isdir(os.path.join(source, name))
        and ("-" in name or name == "latest.js")
    ]
    shutil.copytree(
        source,
        os.path.join(app.outdir, "_static", "mathjax"),
        ignore=lambda folder, names: [
            n for n in names if folder == source and n in other_bundles
        ],
        dirs_exist_ok=True,
    )


# -- Benchmark tables and figures ------------------------------------------------
# benchmarks/report.py turns the committed CSVs of benchmarks/results into reST
# tables and PNG figures under doc/generated (gitignored): a few seconds, no
# benchmark is run.
_GENERATED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated")


def _benchmark_report(app):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location(
        "_sknmi_benchmark_report", os.path.join(root, "benchmarks", "report.py")
    )
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    report.main(_GENERATED)


def setup(app):
    app.connect("builder-inited", _benchmark_report)
    app.connect("autodoc-process-bases", _hide_private_bases)
    # After numpydoc (priority 500) has turned the sections into reST.
    app.connect("autodoc-process-docstring", _require_examples, priority=900)
    app.connect("env-check-consistency", _require_api_entries)
    _mathjax_source()  # fail early, before the examples run, when it is missing
    app.connect("build-finished", _copy_mathjax)


# -- sphinx-gallery ---------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sknmi",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sknmi": None},
    "reset_modules": ("matplotlib",),
    "remove_config_comments": True,
    "show_memory": False,
    # sg_execution_times.rst (in doc/ and auto_examples/): each example's run
    # time, linked from the gallery index.
    "write_computation_times": True,
    # Examples fit several estimators at once through joblib (loky, one torch
    # thread per worker); the figures are matplotlib's.
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    # Printed output only: the repr of a block's last expression (a matplotlib
    # Legend, a Display object) tells the reader nothing.
    "capture_repr": (),
    # A failing example fails the build (with -W, as does any warning).
    "only_warn_on_example_error": False,
}

# -- HTML -------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sknmi {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_sidebars = {"index": [], "install": [], "benchmarks": []}
html_show_sourcelink = True
