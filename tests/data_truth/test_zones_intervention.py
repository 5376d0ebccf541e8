"""Data truth, zones of intervention (the schéma directeur's inventory): for France and every
département, the premises (logements + établissements) and the FttH-connectable premises of
each zone — very dense (ZTD), private commitments (AMII: an operator under article L.33-13),
public-initiative networks (RIP: the rest) — recomputed from ARCEP's real files (2018 T1
information, 2017 T3 – 2018 T1 deployment) with the csv module, apart from the pillar's code,
and compared with `pillars.connectivite_fixe.zones.inventory`."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from terrinum.pillars.connectivite_fixe import zones
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.warehouse import store

pytestmark = pytest.mark.realdata
QUARTERS = {"T3 2017": "2017T3", "T4 2017": "2017T4", "T1 2018": "2018T1"}


def _number(text: str) -> int:
    text = (text or "").replace(" ", "").replace("\u202f", "").replace("\xa0", "").strip()
    return 0 if text in ("", "-") else int(text)


@pytest.fixture(scope="module")
def truth(tmp_path_factory, reference_build):
    from tests.conftest import REAL_DATA

    if not REAL_DATA.is_dir():
        pytest.skip("../shared/data/real absent")
    folder = REAL_DATA / "arcep"
    con = store.connect(tmp_path_factory.mktemp("verite-zones") / "warehouse.duckdb")
    store.publish_reference_build(con, reference_build, "test")
    ingest_source(con, "arcep-ftth-informations", folder / "obs_ftth_2018T1_informations_communes.csv")
    ingest_source(con, "arcep-ftth-communes", folder / "obs_ftth_2017T3-2018T1_deploiement_communes.csv")
    yield con, recompute(folder, reference_build)
    con.close()


def recompute(folder, build) -> dict[tuple[str, str], dict]:
    """{(niveau, code): {zone: {"communes", "locaux", quarter: connectable}}}."""
    communes = {t["code"]: t for t in build.territories if t["niveau"] == "commune"}
    current = {code: code for code in communes}
    current |= {a["code"]: a["commune_code"] for a in build.aliases if a["code"] not in communes}
    current |= {t["code"]: t["commune_code"] for t in build.territories if t["niveau"] == "arrondissement"}
    zone_of, dep_of = {}, {}
    out: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    with (folder / "obs_ftth_2018T1_informations_communes.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f.read().splitlines()[4:]):
            code = row["Code commune"].strip().zfill(5)
            if code.startswith(("975", "977", "978", "98")):  # collectivités d'outre-mer: outside the reference, not imported
                continue
            zone = "ZTD" if _number(row["Zones très denses"]) == 1 else ("AMII" if row["Engagements L. 33-13"].strip() not in ("", "-") else "RIP")
            target = current.get(code)
            dep = communes[target]["departement_code"] if target else row["Code département"].strip()
            zone_of[code], dep_of[code] = zone, dep
            for key in (("pays", "FR"), ("departement", dep)):
                out[key][zone]["communes"] += 1
                out[key][zone]["locaux"] += _number(row["Logements"]) + _number(row["Établissements"])
    with (folder / "obs_ftth_2017T3-2018T1_deploiement_communes.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f.read().splitlines()[4:]):
            code = row["Code commune"].strip().zfill(5)
            if row["Champ"].strip() != "Locaux Raccordables" or code not in zone_of:
                continue
            for column, quarter in QUARTERS.items():
                for key in (("pays", "FR"), ("departement", dep_of[code])):
                    out[key][zone_of[code]][quarter] += _number(row[column])
    return out


def _published(con, niveau, code) -> dict:
    inv = zones.inventory(con, niveau, code)
    return {z.zone: {"communes": z.communes, "locaux": z.locaux, **z.raccordables} for z in inv.zones}


def test_every_departement_s_zones_equal_their_recomputation(truth):
    con, expected = truth
    departements = [c for n, c in expected if n == "departement"]
    assert len(departements) >= 100
    differing = []
    for dep in departements:
        want = {z: {k: v for k, v in values.items()} for z, values in expected[("departement", dep)].items()}
        got = _published(con, "departement", dep)
        if got != want:
            differing.append((dep, got, want))
    assert differing == []


def test_france_s_zones_and_an_amii_operator(truth):
    con, expected = truth
    assert _published(con, "pays", "FR") == {z: dict(v) for z, v in expected[("pays", "FR")].items()}
    inv = zones.inventory(con, "pays", "FR")
    amii = next(z for z in inv.zones if z.zone == "AMII")
    assert {"Orange", "SFR", "Orange et SFR"} <= set(amii.operateurs) and all(label.startswith(("Orange", "SFR")) for label in amii.operateurs)
    assert sum(amii.operateurs.values()) == amii.communes
    assert zones.operator_label("FRTE PARTIELLE") == "Orange (engagement partiel)"
