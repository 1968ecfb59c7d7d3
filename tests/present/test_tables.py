"""Tables as analysts read them (`present.tables`): labels in words with units, areas and metrics by
name, no dtype row, in HTML and as the plain text the notebooks' checked cells compare."""

import json

import polars as pl
import pytest

from pcs_analysis.present import tables
from tests.builders import ROOT

FRAME = pl.DataFrame({"partner_id": ["P1", "P2"], "area": ["modern_work", "data_ai"],
                      "metric": ["net_customer_adds", "usage_growth"], "track": ["smb", "enterprise"],
                      "total": [67.345, 70.0], "is_qualified": [False, True], "days_left": [3, 12]})


def test_values_and_labels_in_words(rules):
    text = tables.text(FRAME, rules=rules)
    header, rule, *rows = text.splitlines()
    assert header.split("  ")[0] == "Partner" and "Total (points)" in header and "Days left" in header
    assert set(rule) <= {"-", " "}
    assert "Modern Work" in rows[0] and "net customer adds" in rows[0] and "SMB" in rows[0] and "67.3" in rows[0]
    assert rows[1].rstrip().endswith("12") and "yes" in rows[1] and "Data & AI" in rows[1]
    for dtype in ("str", "f64", "i64", "bool"):
        assert f" {dtype} " not in f" {text} "


def test_the_html_table_has_the_same_labels_and_no_dtype_row(rules):
    page = str(tables.show(FRAME, rules=rules, title="Partners"))
    assert "Total (points)" in page and "Modern Work" in page and "67.3" in page and "67.345" not in page
    assert ">str<" not in page and ">f64<" not in page


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_notebook_shows_a_raw_frame(path):
    """What an analyst reads is a formatted table: no polars repr (dtype row, box drawing) in the
    checked outputs, and no cell that ends on a bare frame."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    for cell in cells:
        for output in cell["outputs"]:
            text = "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
            assert "┆" not in text and "│ ---" not in text and "shape: (" not in text, (path.name, text[:300])
