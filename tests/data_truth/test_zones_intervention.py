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


def test_each_departement_s_inventory_equals_the_pillar_s_published_figures_and_its_epcis_sum(truth):
    """The schéma directeur's inventory against what the fixed-connectivity pillar publishes for
    the same département and quarter (its FttH-connectable premises, and its premises where
    the pillar counts them from the information file), and against its intercommunalities'
    rows: every count is the sum of theirs, premises left too (counted per commune line, never
    below zero, so that no level makes up for another)."""
    from terrinum.pillars.connectivite_fixe import indicators as fixed

    con, expected = truth
    published = {(r["code"], r["millesime"]): r for r in fixed.indicator_rows(con, "departement")}
    checked = 0
    for dep in sorted(c for n, c in expected if n == "departement"):
        inv = zones.inventory(con, "departement", dep)
        for quarter in inv.trimestres:
            row = published.get((dep, quarter))
            assert row is not None and sum(z.raccordables[quarter] for z in inv.zones) == row["locaux_ftth_raccordables"], (dep, quarter)
            checked += 1
        latest = inv.trimestres[-1]
        for z in inv.zones:
            mine = [e for e in inv.par_epci if e["zone"] == z.zone]
            assert (sum(e["locaux"] for e in mine), sum(e["raccordables"] for e in mine), sum(e["restants"] for e in mine)) == (
                z.locaux, z.raccordables[latest], z.restants,
            ), (dep, z.zone)  # fmt: skip
            assert z.locaux - z.raccordables[latest] <= z.restants  # never less than the difference of the totals
    assert checked >= 300


def left_per_line(folder) -> dict[str, tuple[str, str, str, int]]:
    """Each line of the information file: (zone, density class from its « Commune rurale »
    flag, département, premises left at 2018 T1: its premises less its connectable premises,
    not below zero)."""
    lines, connectable = {}, defaultdict(int)
    with (folder / "obs_ftth_2018T1_informations_communes.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f.read().splitlines()[4:]):
            code = row["Code commune"].strip().zfill(5)
            if code.startswith(("975", "977", "978", "98")):
                continue
            zone = "ZTD" if _number(row["Zones très denses"]) == 1 else ("AMII" if row["Engagements L. 33-13"].strip() not in ("", "-") else "RIP")
            density = "rurale" if _number(row["Commune rurale"]) == 1 else "urbaine"
            lines[code] = (zone, density, row["Code département"].strip(), _number(row["Logements"]) + _number(row["Établissements"]))
    with (folder / "obs_ftth_2017T3-2018T1_deploiement_communes.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f.read().splitlines()[4:]):
            code = row["Code commune"].strip().zfill(5)
            if row["Champ"].strip() == "Locaux Raccordables" and code in lines:
                connectable[code] += _number(row["T1 2018"])
    return {code: (zone, density, dep, max(0, n - connectable[code])) for code, (zone, density, dep, n) in lines.items()}


def test_premises_left_per_commune_line_recomputed_from_the_files(truth):
    """The premises left of each zone of the Creuse and of France, recomputed per line of the
    files (information premises less the line's connectable premises at 2018 T1, not below
    zero)."""
    from tests.conftest import REAL_DATA

    left: dict = defaultdict(int)
    for zone, _, dep, gone in left_per_line(REAL_DATA / "arcep").values():
        left[("pays", zone)] += gone
        if dep == "23":
            left[("23", zone)] += gone
    con, _ = truth
    assert {("pays", z.zone): z.restants for z in zones.inventory(con, "pays", "FR").zones} == {k: v for k, v in left.items() if k[0] == "pays"}
    assert {("23", z.zone): z.restants for z in zones.inventory(con, "departement", "23").zones} == {k: v for k, v in left.items() if k[0] == "23"}


@pytest.mark.django_db
def test_the_creuse_s_investment_by_zone_and_density_class_from_the_real_files(fresh_data_dir, real_data, client):
    """The schéma directeur of the Creuse on ARCEP's real files: premises left per zone and
    per class of commune (the file's « Commune rurale » flag), recomputed line by line with the
    csv module; each class's cost is its premises left × its unit cost (the zone's where the
    class has none), the zone's the sum of its classes', the total the sum of the zones'."""
    from terrinum.diagnostic import schema
    from terrinum.pillars import publication
    from terrinum.territories import services

    folder = real_data / "arcep"
    with publication.next_version(fresh_data_dir / "warehouse.duckdb") as con:
        ingest_source(con, "arcep-ftth-informations", folder / "obs_ftth_2018T1_informations_communes.csv")
        ingest_source(con, "arcep-ftth-communes", folder / "obs_ftth_2017T3-2018T1_deploiement_communes.csv")
    want: dict = defaultdict(int)
    for zone, density, dep, gone in left_per_line(folder).values():
        if dep == "23":
            want[(zone, density)] += gone
    costs = {"RIP": 1100.0, "RIP_rurale": 1500.0, "AMII": 400.0}
    plan = schema.compose(services.get("departement", "23"), costs)
    got = {(i["zone"], c["classe"]): c["restants"] for i in plan["investissement"]["lignes"] for c in i["classes"]}
    assert got == {k: v for k, v in want.items()} and {d for _, d in got} == {"rurale", "urbaine"}
    total = 0
    for i in plan["investissement"]["lignes"]:
        for c in i["classes"]:
            cost = costs.get(f"{i['zone']}_{c['classe']}", costs.get(i["zone"]))
            assert c["cout_total"] == (round(c["restants"] * cost) if cost is not None else None)
        assert i["restants"] == sum(c["restants"] for c in i["classes"])
        if i["cout_total"] is not None:
            assert i["cout_total"] == sum(c["cout_total"] for c in i["classes"])
            total += i["cout_total"]
    assert plan["investissement"]["total"] == total > 0 and plan["demo"] is False
    page = client.get("/territoires/departement/23/schema-directeur/", {"cout_RIP": "1100", "cout_RIP_rurale": "1500", "cout_AMII": "400", "part_Etat": "50"})
    html = page.content.decode()
    assert '<th scope="row">RIP, communes rurales</th>' in html and 'name="cout_RIP_rurale" min="0" max="100000" step="1" value="1500"' in html
    assert '<input type="hidden" name="cout_RIP_rurale" value="1500">' in html and '<input type="hidden" name="part_Etat" value="50">' in html
