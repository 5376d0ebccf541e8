"""The pillar contract, checked on the code: no SQL outside a pillar names a pillar's tables
(its canonical and derived tables, its published table). Other parts call the pillar's read
functions, so that renaming a table or a column breaks one folder, and its tests."""

from __future__ import annotations

import re
from pathlib import Path

import terrinum
from terrinum.pillars import all_pillars, publication

ROOT = Path(terrinum.__file__).parent


def pillar_tables() -> set[str]:
    names = {t.name for p in all_pillars() for t in (*p.tables, *(t for k in p.sources for t in k.tables))}
    names |= {publication.table_name(p.indicators.table) for p in all_pillars() if p.indicators and p.indicators.reads_warehouse}
    for path in (ROOT / "pillars").rglob("*.py"):  # derived tables, created by the pillars' transforms
        names |= set(re.findall(r"CREATE (?:OR REPLACE )?(?:TEMP )?TABLE (?:IF NOT EXISTS )?([a-z]+_[a-z_]+)", path.read_text(encoding="utf-8")))
    return names - {"publication"}


def test_no_code_outside_the_pillars_names_their_tables():
    names = pillar_tables()
    assert {"cm_couverture_geom", "cf_debits", "publie_fragilite"} <= names  # the check sees what it guards
    found = [
        f"{path.relative_to(ROOT)} : {name}"
        for path in ROOT.rglob("*.py")
        if "pillars" not in path.relative_to(ROOT).parts[:1]
        for name in names
        if re.search(rf"\b{name}\b", path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_check_finds_a_table_named_outside(tmp_path):
    """The same search on a file that names one (the check can fail)."""
    text = "SELECT count(*) FROM cm_sites"
    assert [n for n in pillar_tables() if re.search(rf"\b{n}\b", text)] == ["cm_sites"]
