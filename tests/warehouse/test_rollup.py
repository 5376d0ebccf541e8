"""Rollups from commune level to every level."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terrinum.warehouse import rollup as r
from terrinum.warehouse import store

COMMUNES = [
    # code, nom, epci, departement, region, population
    {"code": "23096", "nom": "Guéret", "epci_code": "200034825", "departement_code": "23", "region_code": "75", "population": 12000},
    {"code": "23001", "nom": "A", "epci_code": "200034825", "departement_code": "23", "region_code": "75", "population": 1000},
    {"code": "87085", "nom": "Limoges", "epci_code": "248719312", "departement_code": "87", "region_code": "75", "population": 130000},
    {"code": "22016", "nom": "Île-de-Bréhat", "epci_code": None, "departement_code": "22", "region_code": "53", "population": 400},
]
DEPARTEMENTS = [
    {"code": "23", "nom": "Creuse", "region_code": "75"},
    {"code": "87", "nom": "Haute-Vienne", "region_code": "75"},
    {"code": "22", "nom": "Côtes-d'Armor", "region_code": "53"},
]
PROV = {"source": "referentiel", "millesime": "2023", "fichier": "test", "sha256": "0", "lues": 4, "chargees": 4, "rejetees": 0}


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "w.duckdb")
    store.publish_reference(c, COMMUNES, DEPARTEMENTS, PROV)
    c.execute("CREATE TABLE t (code_commune VARCHAR, code_departement VARCHAR, millesime VARCHAR, locaux BIGINT, ftth BIGINT, taux DOUBLE)")
    c.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
        [
            ["23096", None, "2024T1", 100, 50, 10.0],
            ["23001", None, "2024T1", 20, 0, 20.0],
            ["87085", None, "2024T1", 1000, 900, None],
            ["22016", None, "2024T1", 10, 10, 40.0],
            [None, "23", "2024T1", 5, 5, None],  # "non rattachée": unknown former code in the Creuse
        ],
    )
    yield c
    c.close()


AGGS = [r.sum_of("locaux"), r.sum_of("ftth"), r.ratio_of("part_ftth", "ftth", "locaux", scale=100), r.weighted_mean_of("taux")]


def rows(rel):
    cols = rel.columns
    return {row[1]: dict(zip(cols, row)) for row in rel.fetchall()}


def test_commune_level_ignores_non_rattachees(con):
    out = rows(r.rollup(con, "t", "commune", AGGS))
    assert set(out) == {"23096", "23001", "87085", "22016"}
    assert out["23096"]["part_ftth"] == pytest.approx(50.0)


def test_epci_level_excludes_non_rattachees_and_communes_without_epci(con):
    out = rows(r.rollup(con, "t", "epci", AGGS))
    assert set(out) == {"200034825", "248719312"}
    assert out["200034825"]["locaux"] == 120
    assert out["200034825"]["part_ftth"] == pytest.approx(50 / 120 * 100)
    # population-weighted mean: (10*12000 + 20*1000) / 13000
    assert out["200034825"]["taux"] == pytest.approx((10 * 12000 + 20 * 1000) / 13000)


def test_departement_and_above_include_non_rattachees(con):
    dep = rows(r.rollup(con, "t", "departement", AGGS))
    assert dep["23"]["locaux"] == 125 and dep["23"]["ftth"] == 55
    reg = rows(r.rollup(con, "t", "region", AGGS))
    assert reg["75"]["locaux"] == 1125 and reg["53"]["locaux"] == 10
    fr = rows(r.rollup(con, "t", "pays", AGGS))
    assert fr["FR"]["locaux"] == 1135  # exactly the file's total
    # Weighted mean skips missing values (Limoges) in numerator and denominator.
    assert fr["FR"]["taux"] == pytest.approx((10 * 12000 + 20 * 1000 + 40 * 400) / 13400)


def test_group_by_vintage(con):
    con.execute("INSERT INTO t VALUES ('23096', NULL, '2024T2', 100, 60, 10.0)")
    out = r.rollup(con, "t", "departement", [r.sum_of("ftth")], group_by=["millesime"]).fetchall()
    assert ("departement", "23", "2024T1", 55) in out and ("departement", "23", "2024T2", 60) in out


def test_bad_level_and_bad_aggregation(con):
    with pytest.raises(ValueError, match="niveau inconnu"):
        r.rollup(con, "t", "canton", AGGS)
    with pytest.raises(ValueError):
        r.Aggregation("x", "median", column="locaux")
    with pytest.raises(ValueError):
        r.Aggregation("x", "ratio", numerator="a")
    with pytest.raises(ValueError):
        r.Aggregation("x", "weighted_mean", column="a")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["23096", "23001", "87085", "22016", None]), st.integers(0, 10_000)), min_size=1, max_size=30), st.randoms())
def test_france_total_is_the_input_total_whatever_the_order(tmp_path_factory, data, rnd):
    c = store.connect(tmp_path_factory.mktemp("w") / "w.duckdb")
    store.publish_reference(c, COMMUNES, DEPARTEMENTS, PROV)
    c.execute("CREATE TABLE t (code_commune VARCHAR, code_departement VARCHAR, locaux BIGINT)")
    shuffled = list(data)
    rnd.shuffle(shuffled)
    c.executemany("INSERT INTO t VALUES (?, ?, ?)", [[code, None if code else "23", n] for code, n in shuffled])
    total = sum(n for _, n in data)
    assert r.rollup(c, "t", "pays", [r.sum_of("locaux")]).fetchall() == [("pays", "FR", total)]
    regions = r.rollup(c, "t", "region", [r.sum_of("locaux")]).fetchall()
    assert sum(row[2] for row in regions) == total
    c.close()


def test_catalogue_rejects_a_name_with_two_meanings(tmp_path):
    spec = r.IndicatorSpec("test_locaux", "test", "Locaux", "locaux", "somme des communes", r.sum_of("test_locaux"))
    r.register(spec)
    r.register(spec)  # same declaration twice is fine
    with pytest.raises(ValueError, match="déjà déclaré"):
        r.register(r.IndicatorSpec("test_locaux", "autre", "Locaux", "locaux", "somme des communes", r.sum_of("x")))
    c = store.connect(tmp_path / "w.duckdb")
    assert r.sync_catalogue(c) >= 1
    assert c.execute("SELECT agregation FROM catalogue_indicateurs WHERE nom = 'test_locaux'").fetchone() == ("sum",)
