import pytest

from pcs_analysis import load_rules


@pytest.fixture(scope="session")
def rules():
    return load_rules("2026-05")


@pytest.fixture(scope="session")
def rules_2023():
    return load_rules("2023-06")
