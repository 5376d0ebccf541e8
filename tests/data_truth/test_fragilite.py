"""Data truth, fragilité numérique: every figure the pillar publishes for France, each région
and each département, recomputed here from the real INSEE files with the csv module and the
territorial reference, apart from the pillar's code (no import of terrinum.pillars but to
read what it publishes), and compared.

The definition recomputed (src/terrinum/methodologie/methodologie-fragilite.md): a territory's rate is the mean of its
source communes' rates weighted by their legal populations (the populations file; else the
reference population of a current commune or arrondissement; rows of a commune without one
share what is left of their commune's population); a source code goes to its current
commune (itself, or the commune of which it is a déléguée, associée or arrondissement), else
counts in the département its code names ("non rattachée")."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from terrinum.pillars.fragilite import indicators as published
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.warehouse import store

pytestmark = pytest.mark.realdata
RATES = {
    "TX_NSCOL15P": "tx_nscol15p", "TX_MENSEUL": "tx_menseul", "TX_FAMMONO": "tx_fammono", "TX_65ETPLUS": "tx_65etplus",
    "TX_25ETMOINS": "tx_25etmoins", "TX_DEMANDEURS_EMPLOI": "tx_demandeurs_emploi", "TX_POVERTY": "tx_pauvrete",
}  # fmt: skip
CENSUS = ("tx_nscol15p", "tx_menseul", "tx_fammono", "tx_65etplus", "tx_25etmoins")


@pytest.fixture(scope="module", params=["avec les populations légales", "sans fichier de populations"])
def truth(request, tmp_path_factory, reference_build):
    """The rates imported with the legal populations file, and without it (the weights then
    come from the reference: where France read 37.15 % instead of 47.5 %)."""
    from tests.conftest import REAL_DATA

    if not REAL_DATA.is_dir():
        pytest.skip("../shared/data/real absent")
    folder = REAL_DATA / "insee"
    with_populations = request.param == "avec les populations légales"
    con = store.connect(tmp_path_factory.mktemp("verite") / "warehouse.duckdb")
    store.publish_reference_build(con, reference_build, "test")
    ingest_source(con, "insee-indicateurs", folder / "indicateurs_communes_diplome_menages_age_emploi.csv", millesime="2016")
    ingest_source(con, "insee-indicateurs", folder / "taux_pauvrete_communes.csv", millesime="2016")
    if with_populations:
        ingest_source(con, "insee-indicateurs", folder / "populations_communes.csv", millesime="2019")
    yield con, recompute(folder, reference_build, with_populations)
    con.close()


def _departement_of_code(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def recompute(folder, build, with_populations: bool = True) -> dict[tuple[str, str], dict]:
    """{(niveau, code): {indicator: value}} for pays, region, departement, from the files."""
    communes = {t["code"]: t for t in build.territories if t["niveau"] == "commune"}
    arrondissements = {t["code"]: t for t in build.territories if t["niveau"] == "arrondissement"}
    region_of = {t["code"]: t["region_code"] for t in build.territories if t["niveau"] == "departement"}
    current = {code: code for code in communes}
    current |= {a["code"]: a["commune_code"] for a in build.aliases if a["code"] not in communes}
    current |= {code: t["commune_code"] for code, t in arrondissements.items()}

    values: dict[str, dict[str, float]] = defaultdict(dict)  # source code -> rate -> value (empty cells skipped)
    for name, code_col in (("indicateurs_communes_diplome_menages_age_emploi.csv", "CODE_INSEE"), ("taux_pauvrete_communes.csv", "CODE_INSEE")):
        with (folder / name).open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                for column, key in RATES.items():
                    if row.get(column, "").strip():
                        values[row[code_col].strip()][key] = float(row[column])
    legal = {}
    if with_populations:
        with (folder / "populations_communes.csv").open(encoding="utf-8-sig", newline="") as f:
            legal = {row["DEPCOM"]: float(row["PMUN"]) for row in csv.DictReader(f, delimiter=";")}

    # weights: own population, else the rest of the commune's population shared evenly
    own = {}
    for code in values:
        target = current.get(code)
        if code in legal:
            own[code] = legal[code]
        elif code in arrondissements and arrondissements[code]["population"] is not None:
            own[code] = arrondissements[code]["population"]
        elif target == code and communes[code]["population"] is not None:
            own[code] = communes[code]["population"]
    pieces = defaultdict(list)
    for code in values:
        if current.get(code):
            pieces[current[code]].append(code)
    weight = dict(own)
    for commune, codes in pieces.items():
        unknown = [c for c in codes if c not in own]
        if unknown:
            left = max((communes[commune]["population"] or 0) - sum(own[c] for c in codes if c in own), 0)
            for c in unknown:
                weight[c] = left / len(unknown)

    sums: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    having: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(set))  # communes with a value
    for code, rates in values.items():
        target = current.get(code)
        dep = communes[target]["departement_code"] if target else _departement_of_code(code)
        units = [("pays", "FR"), ("departement", dep), ("region", region_of.get(dep))]
        for unit in units:
            for key, value in rates.items():
                if weight.get(code) is not None:
                    sums[unit][key][0] += value * weight[code]
                    sums[unit][key][1] += weight[code]
                if target:
                    having[unit][key].add(target)
    out = {}
    members = defaultdict(list)
    for c in communes.values():
        members[("pays", "FR")].append(c)
        members[("departement", c["departement_code"])].append(c)
        members[("region", c["region_code"])].append(c)
    for unit, by_key in sums.items():
        if unit not in members:
            continue
        row = {key: (s / w if w else None) for key, (s, w) in by_key.items()}
        n = len(members[unit])
        row["population"] = sum(c["population"] or 0 for c in members[unit])
        complete = min(len(having[unit][k]) for k in CENSUS)
        row["couverture_donnees_pct"] = 100 * min(complete, n) / n
        row["couverture_pauvrete_pct"] = 100 * min(len(having[unit]["tx_pauvrete"]), n) / n
        if row.get("tx_65etplus") is not None and row["population"]:
            p65 = row["population"] * row["tx_65etplus"] / 100
            row["personnes_a_risque_bas"] = p65 / 3
            row["personnes_a_risque_haut"] = p65 * 0.62 + (row["population"] - p65) * 0.154
        out[unit] = row
    return out


def note(value: float, anchors: tuple[float, ...]) -> float:
    """1 below the first anchor, 10 above the last, linear between anchors k and k+1."""
    if value <= anchors[0]:
        return 1.0
    if value >= anchors[-1]:
        return 10.0
    k = next(i for i in range(len(anchors) - 1) if anchors[i] <= value <= anchors[i + 1])
    return 1 + 9 * (k + (value - anchors[k]) / (anchors[k + 1] - anchors[k])) / (len(anchors) - 1)


CHECKED = ["tx_nscol15p", "tx_menseul", "tx_fammono", "tx_65etplus", "tx_25etmoins", "tx_demandeurs_emploi", "tx_pauvrete",
           "population", "couverture_donnees_pct", "couverture_pauvrete_pct", "personnes_a_risque_bas", "personnes_a_risque_haut",
           "score_tx_65etplus", "score_tx_nscol15p", "score_tx_pauvrete", "indice_global"]  # fmt: skip


@pytest.mark.parametrize("niveau", ["pays", "region", "departement"])
def test_every_published_fragility_figure_equals_its_recomputation(truth, niveau):
    con, expected = truth
    rows = published.indicator_rows(con, niveau)
    assert rows, niveau
    checked = 0
    for row in rows:
        want = dict(expected[(niveau, row["code"])])
        for criterion in ("tx_65etplus", "tx_nscol15p", "tx_pauvrete"):
            if want.get(criterion) is not None:
                want[f"score_{criterion}"] = note(want[criterion], published.ANCHORS[criterion])
        notes = [want[f"score_{c}"] for c in ("tx_65etplus", "tx_nscol15p", "tx_pauvrete") if want.get(f"score_{c}") is not None]
        want["indice_global"] = sum(notes) / len(notes)
        for key in CHECKED:
            got = row[key]
            if want.get(key) is None:
                assert got is None, (niveau, row["code"], key, got)
                continue
            tolerance = {"personnes_a_risque_bas": 0.5, "personnes_a_risque_haut": 0.5}.get(key)
            if key.startswith(("score_", "indice")):
                assert got == pytest.approx(want[key], abs=0.05 + 1e-9), (niveau, row["code"], key)
            elif tolerance:  # published rounded to the ten
                assert got == pytest.approx(want[key], abs=5 + 1e-9 if want[key] > 100 else 0.5), (niveau, row["code"], key)
            else:  # published rounded to 2 decimals (1 for coverage)
                assert got == pytest.approx(want[key], abs=(0.05 if key.startswith("couverture") else 0.005) + 1e-9), (niveau, row["code"], key, got, want[key])
            checked += 1
        assert row["demo"] is False
    assert checked >= len(rows) * 12


def test_france_s_weights_add_up_to_france_s_population(truth):
    """The bug this suite was written for: each Paris, Lyon and Marseille arrondissement row
    weighted by its whole city's population (France's weights summed to 125.8 M people, and
    its share of people with little or no diploma read 37.15 % instead of about 47.5 %)."""
    con, expected = truth
    france = published.indicator_rows(con, "pays")[0]
    weights = con.execute(f"WITH {published.WEIGHTS} SELECT sum(poids) FROM weights").fetchone()[0]
    assert weights <= france["population"] * 1.001
    assert 47 < france["tx_nscol15p"] < 48.5 and france["tx_nscol15p"] == pytest.approx(expected[("pays", "FR")]["tx_nscol15p"], abs=0.005)
