"""The digital fragility index: hand-checked communes, national value, properties."""

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terrinum.pillars.fragilite import indicators as fr
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.territories.helpers import TerritorySet


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


def _interp(value, anchors):
    """The 1–10 note written out by hand: 1 below the first anchor, 10 above the last, linear
    between consecutive anchors k and k+1 (notes k+1 and k+2)."""
    if value <= anchors[0]:
        return 1.0
    if value >= anchors[-1]:
        return 10.0
    k = next(i for i in range(len(anchors) - 1) if anchors[i] <= value <= anchors[i + 1])
    return 1 + k + (value - anchors[k]) / (anchors[k + 1] - anchors[k])


def test_three_communes_computed_by_hand(insee_warehouse, real_data):
    folder = real_data / "insee"
    rates = {r["CODE_INSEE"]: r for r in _read(folder / "indicateurs_communes_diplome_menages_age_emploi.csv", "CODE_INSEE") if r["TX_MENSEUL"]}
    poverty = {r["CODE_INSEE"]: r["TX_POVERTY"] for r in _read(folder / "taux_pauvrete_communes.csv", "CODE_INSEE")}
    rows = {r["code"]: r for r in fr.indicator_rows(insee_warehouse, "commune", within=TerritorySet.of("departement", "08"))}
    rows.update({r["code"]: r for r in fr.indicator_rows(insee_warehouse, "commune", within=TerritorySet.of("departement", "23"))})
    for code in ("08419", "23096", "23001"):
        r = rates[code]
        notes = [
            _interp(float(r["TX_65ETPLUS"]), fr.ANCHORS["tx_65etplus"]),
            _interp(float(r["TX_NSCOL15P"]), fr.ANCHORS["tx_nscol15p"]),
        ]
        assert rows[code]["score_tx_65etplus"] == pytest.approx(notes[0], abs=0.06), code
        assert rows[code]["score_tx_nscol15p"] == pytest.approx(notes[1], abs=0.06), code
        if poverty.get(code):
            notes.append(_interp(float(poverty[code]), fr.ANCHORS["tx_pauvrete"]))
        else:
            assert rows[code]["score_tx_pauvrete"] is None
        assert rows[code]["indice_global"] == pytest.approx(sum(notes) / len(notes), abs=0.06), code
        assert rows[code]["demo"] is False
    assert rows["23096"]["score_tx_pauvrete"] is not None  # Guéret: its poverty rate is published


def test_anchors_match_the_real_data(insee_warehouse):
    """The fixed scales are what scripts/fragilite-bornes.py computes from the real files."""
    computed = fr.anchors_from(insee_warehouse)
    for criterion, anchors in fr.ANCHORS.items():
        assert computed[criterion] == pytest.approx(anchors, abs=0.11), criterion
        assert list(anchors) == sorted(anchors), criterion


def test_real_inputs_give_a_spread_within_bounds(insee_warehouse):
    """On the real INSEE data: every index within 1–10, France in the middle of the scale
    (the anchors are percentiles of the population), communes spread over the whole scale,
    the Creuse more fragile than France and the Hauts-de-Seine less, and the Creuse's
    communes spread over several classes (its old ratio index reached 1,028)."""
    communes = fr.indicator_rows(insee_warehouse, "commune")
    values = [r["indice_global"] for r in communes if r["indice_global"] is not None]
    assert len(values) > 30_000
    assert all(fr.SCALE[0] <= v <= fr.SCALE[1] for v in values)
    assert min(values) < 2.5 and max(values) > 8.5
    france = fr.indicator_rows(insee_warehouse, "pays")[0]
    assert 4 < france["indice_global"] < 7
    deps = {r["code"]: r for r in fr.indicator_rows(insee_warehouse, "departement")}
    assert all(fr.SCALE[0] <= r["indice_global"] <= fr.SCALE[1] for r in deps.values())
    assert deps["23"]["indice_global"] > france["indice_global"] > deps["92"]["indice_global"]
    assert deps["23"]["ecart_reference"] == pytest.approx(deps["23"]["indice_global"] - france["indice_global"], abs=0.01)
    creuse = [r["indice_global"] for r in communes if r["code"].startswith("23") and r["indice_global"] is not None]
    classes = {sum(v >= b for b in fr.INDEX_BINS) for v in creuse}
    assert len(classes) >= 4, classes


def test_departements_coverage_and_people_at_risk(insee_warehouse):
    deps = {r["code"]: r for r in fr.indicator_rows(insee_warehouse, "departement")}
    assert len(deps) == 101
    creuse = deps["23"]
    assert creuse["couverture_donnees_pct"] > 95 and 0 < creuse["couverture_pauvrete_pct"] < 50
    assert creuse["personnes_a_risque_bas"] < creuse["personnes_a_risque_haut"] < creuse["population"]
    assert "part_locaux_sans_30mbits" not in creuse["indicateurs_utilises"]  # no connectivity data here
    assert creuse["score_part_locaux_sans_30mbits"] is None


def test_reference_is_a_separate_reading(insee_warehouse):
    """The reference changes the gap, never the index itself."""
    against_france = fr.indicator_rows(insee_warehouse, "commune", within=TerritorySet.of("departement", "23"))
    against_creuse = fr.indicator_rows(insee_warehouse, "commune", within=TerritorySet.of("departement", "23"), reference="departement:23")
    assert [r["indice_global"] for r in against_france] == [r["indice_global"] for r in against_creuse]
    creuse = fr.indicator_rows(insee_warehouse, "departement", within=TerritorySet.of("departement", "23"), reference="departement:23")[0]
    assert creuse["ecart_reference"] == 0.0 and creuse["reference"] == "departement:23"
    assert against_creuse[0]["indice_reference"] == creuse["indice_global"]
    with pytest.raises(ValueError):
        fr.parse_reference("canton:12")


@pytest.mark.parametrize("niveau", ["commune", "departement"])
def test_rows_compared_with_france_read_as_computed_against_another_reference(insee_warehouse, niveau):
    """What the API serves for another reference from the published rows (compared with
    France) equals the rows computed with that reference; where a row's own demonstration
    flag cannot be told from it, there is no shortcut."""
    con = insee_warehouse
    against_france = fr.indicator_rows(con, niveau)
    for reference in ("departement:23", "region:44", "epci:200041523"):
        compared = fr.compared_with(con, reference)
        assert [compared(r) for r in against_france] == fr.indicator_rows(con, niveau, reference=reference), reference
    with pytest.raises(ValueError):
        fr.compared_with(con, "departement:99")
    # demonstration values in the Ardennes only: France's inputs hold some, the Creuse's none
    con.execute(
        "INSERT INTO fr_valeurs SELECT source, millesime, code_source, code_commune, code_departement, indicateur, valeur, true FROM fr_valeurs WHERE code_commune = '08105' AND indicateur = 'tx_65etplus'"
    )
    con.execute("DELETE FROM fr_valeurs WHERE code_commune = '08105' AND indicateur = 'tx_65etplus' AND NOT demo")
    fr._REFERENCE_CACHE.clear()  # kept per warehouse file; a real import publishes a new file
    assert fr.compared_with(con, "departement:23") is None
    compared = fr.compared_with(con, "departement:08")
    assert [compared(r) for r in fr.indicator_rows(con, niveau)] == fr.indicator_rows(con, niveau, reference="departement:08")


_ANY = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9))


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({c: _ANY for c in fr.CRITERIA}))
def test_index_stays_within_its_bounds_whatever_the_inputs(raw):
    out = fr.index_of(raw)
    for value in [out["indice_global"], *(out[f"score_{c}"] for c in fr.CRITERIA)]:
        assert value is None or fr.SCALE[0] <= value <= fr.SCALE[1]
    assert (out["indice_global"] is None) == all(v is None for v in raw.values())


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries({c: st.floats(0, 100) for c in fr.CRITERIA}),
    st.sampled_from(list(fr.CRITERIA)),
    st.floats(0.01, 50),
)
def test_raising_one_input_never_lowers_the_index(raw, criterion, bump):
    before = fr.index_of(raw)["indice_global"]
    after = fr.index_of({**raw, criterion: raw[criterion] + bump})["indice_global"]
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
