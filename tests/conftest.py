import pytest

from pcs_analysis import load_rules


@pytest.fixture(scope="session")
def rules():
    return load_rules("2026-05")


@pytest.fixture(scope="session")
def rules_2023():
    return load_rules("2023-06")


@pytest.fixture(scope="session")
def sample_data():
    from pcs_analysis import read_data
    from pcs_analysis.config import SAMPLE_DIR
    return read_data(SAMPLE_DIR)
