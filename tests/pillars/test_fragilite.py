"""The digital fragility index: hand-checked communes, national value, properties."""

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terrinum.pillars.fragilite import indicators as fr
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import ingest


@pytest.fixture
def insee_warehouse(warehouse, real_data):
    folder = real_data / "insee"
    ingest_source(warehouse, "insee-indicateurs", folder / "indicateurs_communes_diplome_menages_age_emploi.csv", millesime="2016")
    ingest_source(warehouse, "insee-indicateurs", folder / "taux_pauvrete_communes.csv", millesime="2016")
    ingest_source(warehouse, "insee-indicateurs", folder / "populations_communes.csv", millesime="2019")
    return warehouse


def _read(path, code_col, delim=","):
    with path.open(encoding="utf-8-sig") as f:
        return [row for row in csv.DictReader(f, delimiter=delim) if row[code_col]]


def test_three_communes_computed_by_hand(insee_warehouse, real_data):
    folder = real_data / "insee"
    pops = {r["DEPCOM"]: float(r["PMUN"]) for r in _read(folder / "populations_communes.csv", "DEPCOM", ";")}
    rates = {}
    for r in _read(folder / "indicateurs_communes_diplome_menages_age_emploi.csv", "CODE_INSEE"):
        if r["TX_MENSEUL"]:
            rates[r["CODE_INSEE"]] = r
    out_of_scope = ingest.OUTSIDE_SCOPE

    def national(column):
        # population-weighted mean over source communes (weights: INSEE legal population)
        num = den = 0.0
        for code, r in rates.items():
            if r[column] and code in pops and not code.startswith(out_of_scope):
                num += pops[code] * float(r[column])
                den += pops[code]
        return num / den

    ref = {c: national(c) for c in ("TX_MENSEUL", "TX_FAMMONO", "TX_NSCOL15P", "TX_65ETPLUS")}
    rows = {r["code"]: r for r in fr.indicator_rows(insee_warehouse, "commune", within=TerritorySet.of("departement", "08"))}
    rows.update({r["code"]: r for r in fr.indicator_rows(insee_warehouse, "commune", within=TerritorySet.of("departement", "23"))})
    for code in ("08419", "23096", "23001"):
        r = rates[code]
        info = (100 * float(r["TX_MENSEUL"]) / ref["TX_MENSEUL"] + 100 * float(r["TX_FAMMONO"]) / ref["TX_FAMMONO"]) / 2
        skills = (100 * float(r["TX_NSCOL15P"]) / ref["TX_NSCOL15P"] + 100 * float(r["TX_65ETPLUS"]) / ref["TX_65ETPLUS"]) / 2
        assert rows[code]["indice_acces_information"] == pytest.approx(info, abs=0.06), code
        assert rows[code]["indice_competences_numeriques"] == pytest.approx(skills, abs=0.06), code
        assert rows[code]["demo"] is False


def test_national_value_of_every_axis_is_100(insee_warehouse):
    france = fr.indicator_rows(insee_warehouse, "pays")[0]
    for axis in fr.AXES:
        if france[f"indice_{axis}"] is not None:
            assert france[f"indice_{axis}"] == 100.0
    assert france["indice_global"] == 100.0
    # and the population-weighted mean of the commune indices of each indicator is 100
    raws = fr.raw_inputs(insee_warehouse, "commune")
    ref = fr.raw_inputs(insee_warehouse, "pays")["FR"]
    weights = dict(
        insee_warehouse.execute(
            "SELECT code_commune, sum(valeur) FROM fr_valeurs WHERE indicateur = 'population' AND code_commune IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    for indicator in ("tx_menseul", "tx_nscol15p"):
        num = sum(weights.get(c, 0) * 100 * r[indicator] / ref[indicator] for c, r in raws.items() if r.get(indicator) is not None)
        den = sum(weights.get(c, 0) for c, r in raws.items() if r.get(indicator) is not None)
        assert num / den == pytest.approx(100, abs=0.5)


def test_departements_coverage_and_people_at_risk(insee_warehouse):
    deps = {r["code"]: r for r in fr.indicator_rows(insee_warehouse, "departement")}
    assert len(deps) == 101
    creuse = deps["23"]
    assert creuse["couverture_donnees_pct"] > 95 and 0 < creuse["couverture_pauvrete_pct"] < 50
    assert creuse["personnes_a_risque_bas"] < creuse["personnes_a_risque_haut"] < creuse["population"]
    assert "part_locaux_sans_30mbits" not in creuse["indicateurs_utilises"]  # no connectivity data here
    assert creuse["indice_acces_interfaces"] is None


def test_reference_other_than_france(insee_warehouse):
    rows = fr.indicator_rows(insee_warehouse, "departement", within=TerritorySet.of("departement", "23"), reference="departement:23")
    assert rows[0]["indice_global"] == 100.0 and rows[0]["reference"] == "departement:23"
    with pytest.raises(ValueError):
        fr.parse_reference("canton:12")


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from([i for axis in fr.AXES.values() for i in axis]), st.floats(0.1, 99), min_size=1),
    st.sampled_from([i for axis in fr.AXES.values() for i in axis]),
    st.floats(0.01, 50),
)
def test_raising_one_input_never_lowers_the_index(raw, indicator, bump):
    ref = {i: 10.0 for axis in fr.AXES.values() for i in axis}
    before = fr.index_of(raw, ref)["indice_global"]
    raised = dict(raw)
    raised[indicator] = raw.get(indicator, 0.1) + bump if indicator in raw else None
    if raised[indicator] is None:
        raised.pop(indicator)
    after = fr.index_of(raised, ref)["indice_global"]
    assert after >= before


@settings(max_examples=10, deadline=None)
@given(st.randoms())
def test_index_does_not_depend_on_row_order(tmp_path_factory, reference_build, rnd):
    from terrinum.warehouse import store

    lines = [f"{c};{v}" for c, v in [("23096", 51.1), ("23001", 30.2), ("08419", 40.8), ("75056", 50.5), ("13055", 38.0)]]
    results = []
    for _ in range(2):
        rnd.shuffle(lines)
        folder = tmp_path_factory.mktemp("order")
        path = folder / "i.csv"
        path.write_text("CODE_INSEE;TX_MENSEUL\n" + "\n".join(lines) + "\n", encoding="utf-8")
        con = store.connect(folder / "w.duckdb")
        store.publish_reference_build(con, reference_build, "t")
        ingest_source(con, "insee-indicateurs", path, millesime="2016")
        results.append(fr.indicator_rows(con, "departement"))
        con.close()
    assert results[0] == results[1]
