"""Test collection for the whole repository (tests, doctests and notebooks)."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A notebook cell (nbval) runs in a kernel: marked slow, like the tests marked so by hand."""
    for item in items:
        if item.nodeid.startswith("notebooks/"):
            item.add_marker(pytest.mark.slow)
