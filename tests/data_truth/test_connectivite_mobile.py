"""Data truth, connectivité mobile: the mobile sites the pillar publishes for France, each
région and each département, recomputed here from the real ARCEP files of the five overseas
départements (2020 T2) with the csv module, apart from the pillar's code, and compared.

Definition recomputed: a site is a row of the file; one operator twice at the same position
is one site (the repeat is left out: imported with --accepter-rejets); a site counts for 2G,
3G or 4G when its flag is 1; each file is one département (the sites are placed in their
communes by position; none of these files has a site outside its département)."""

from __future__ import annotations

import csv

import pytest

from terrinum.pillars.connectivite_mobile import indicators as published
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.warehouse import store

pytestmark = pytest.mark.realdata
FILES = {"GUA": ("971", "01"), "MAR": ("972", "02"), "GUY": ("973", "03"), "REU": ("974", "04"), "MAY": ("976", "06")}


@pytest.fixture(scope="module")
def truth(tmp_path_factory, reference_build):
    from tests.conftest import REAL_DATA

    if not REAL_DATA.is_dir():
        pytest.skip("../shared/data/real absent")
    con = store.connect(tmp_path_factory.mktemp("verite-mobile") / "warehouse.duckdb")
    store.publish_reference_build(con, reference_build, "test")
    expected = {}
    for territory, (dep, region) in FILES.items():
        path = REAL_DATA / "mobile" / f"sites_mobiles_2020T2_{territory}.csv"
        ingest_source(con, "arcep-mobile-sites", path, accept_rejects=True)
        seen, counts = set(), {"nb_sites": 0, "nb_sites_2g": 0, "nb_sites_3g": 0, "nb_sites_4g": 0}
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f, delimiter=";"):
                key = (row["Operateur"], float(row["X"]), float(row["Y"]))
                if key in seen:
                    continue
                seen.add(key)
                counts["nb_sites"] += 1
                for g in ("2g", "3g", "4g"):
                    counts[f"nb_sites_{g}"] += row[f"C{g.upper()}"].strip() == "1"
        for unit in (("departement", dep), ("region", region)):
            expected[unit] = counts
        france = expected.setdefault(("pays", "FR"), dict.fromkeys(counts, 0))
        for k, v in counts.items():
            france[k] += v
    yield con, expected
    con.close()


@pytest.mark.parametrize("niveau", ["pays", "region", "departement"])
def test_every_published_site_count_equals_its_recomputation(truth, niveau):
    con, expected = truth
    rows = [r for r in published.indicator_rows(con, niveau) if r["operateur"] == "tous"]
    assert {r["code"] for r in rows} == {code for n, code in expected if n == niveau}
    for row in rows:
        want = expected[(niveau, row["code"])]
        assert {k: row[k] for k in want} == want, (niveau, row["code"])
        assert row["demo"] is False and row["millesime"] == "2020T2"
