"""Doctests of the documentation pages (``pytest doc --doctest-glob="*.rst"``).

Only the reST pages are collected: conf.py is Sphinx's, and auto_examples holds
copies of the gallery scripts, which would run on import.
"""

import pytest

collect_ignore = ["conf.py"]
collect_ignore_glob = ["_build/*", "auto_examples/*", "gen_modules/*", "templates/*"]


def pytest_collection_modifyitems(items):
    # The pages' examples train for a handful of epochs on purpose; the warning
    # that training could go on is expected there and would only clutter the log.
    for item in items:
        if item.path.suffix == ".rst":
            item.add_marker(
                pytest.mark.filterwarnings(
                    "ignore::sklearn.exceptions.ConvergenceWarning"
                )
            )
