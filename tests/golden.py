"""Golden results: the sample data scored with every rulebook version.

Regenerate after an intended change with `make golden` (or `python -m tests.golden --write`)
and review the diff: every changed number must be explained by the change.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pcs_analysis import list_versions, load_rules, read_data, score
from pcs_analysis.config import SAMPLE_DIR

GOLDEN_DIR = Path(__file__).parent / "golden"
AS_OF = "2026-11-21"


def compute(version: str):
    rules = load_rules(version)
    return score(read_data(SAMPLE_DIR, rules=rules), as_of=AS_OF, rules=rules)


def main(argv: list[str]) -> int:
    if "--write" not in argv:
        print("usage: python -m tests.golden --write")
        return 2
    for version in list_versions():
        result = compute(version)
        folder = GOLDEN_DIR / version
        folder.mkdir(parents=True, exist_ok=True)
        result.scores.write_csv(folder / "scores.csv", date_format="%Y-%m-%d")
        result.summary.write_csv(folder / "summary.csv", date_format="%Y-%m-%d")
        print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
