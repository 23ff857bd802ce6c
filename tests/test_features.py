"""docs/FEATURES.md: every listed Python name imports, and the coverage figures match the rows."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

FEATURES = Path(__file__).resolve().parents[1] / "docs" / "FEATURES.md"
ROW = re.compile(
    r"^\| (?P<id>[A-Z]\d+) \| (?P<gate>core|opt) \| (?P<status>done|todo|N/A) \| (?P<names>.*?) \| (?P<note>.*) \|$"
)


def rows() -> list[dict[str, str]]:
    found = [
        m.groupdict() for line in FEATURES.read_text("utf-8").splitlines() if (m := ROW.match(line))
    ]
    assert found, f"no feature rows in {FEATURES}"
    return found


def names(cell: str) -> list[str]:
    return re.findall(r"`([A-Za-z_][\w.]*)`", cell)


def resolve(dotted: str) -> object:
    """Import the longest importable module prefix of ``dotted`` and get the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_ids_are_the_checklist() -> None:
    ids = [r["id"] for r in rows()]
    assert len(ids) == len(set(ids)) == 133
    assert sum(r["gate"] == "core" for r in rows()) == 112


def test_coverage_figures_match_the_rows() -> None:
    all_rows = rows()
    core = sum(r["status"] == "done" and r["gate"] == "core" for r in all_rows)
    done = sum(r["status"] == "done" for r in all_rows)
    text = FEATURES.read_text("utf-8")
    assert f"Core: **{core} / 112** done. All: **{done} / 133** done." in text


@pytest.mark.parametrize("row", rows(), ids=lambda r: r["id"])
def test_listed_names_import(row: dict[str, str]) -> None:
    listed = names(row["names"])
    if row["status"] == "done":
        assert listed, f"{row['id']} is done but names no Python object"
        assert all(n.startswith("torsh_data") for n in listed), listed
    elif row["status"] == "N/A":
        assert row["note"].strip(), f"{row['id']} is N/A without a reason"
    for name in listed:
        resolve(name)  # raises if the name does not import
