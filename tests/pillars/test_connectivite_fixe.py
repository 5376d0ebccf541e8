"""Milestones, projections and filters of the fixed-connectivity pillar."""

import pytest

from terrinum.pillars.connectivite_fixe import indicators as cf
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.territories.helpers import TerritorySet


def test_projection_from_a_steady_pace():
    series = [("2024T1", 100), ("2024T2", 200), ("2024T3", 300), ("2024T4", 400)]
    quarter, spread, status = cf.projection(series, locaux=1000, share=1.0)
    assert status == "projection" and quarter == "2026T2"  # 600 more at 100 per quarter
    assert spread == "2026T2–2026T2"
    assert cf.projection(series, 1000, 0.95)[0] == "2026T2"  # 950: 550 more -> 5.5, so 6 quarters
    assert cf.projection(series, 1000, 0.9)[0] == "2026T1"  # 900: 500 more -> 5 quarters


def test_projection_range_uses_slowest_and_fastest_quarters():
    series = [("2024T1", 100), ("2024T2", 150), ("2024T3", 300), ("2024T4", 400)]
    quarter, spread, status = cf.projection(series, 1000, 1.0)
    fast, slow = spread.split("–")
    assert cf.quarter_index(fast) <= cf.quarter_index(quarter) <= cf.quarter_index(slow)


@pytest.mark.parametrize(
    "series,expected",
    [
        ([], "données insuffisantes"),
        ([("2024T3", 10), ("2024T4", 20)], "3 au moins"),
        ([("2024T2", 50), ("2024T3", 50), ("2024T4", 50)], "aucun progrès"),
        ([("2024T2", 1), ("2024T3", 2), ("2024T4", 3)], "pas avant 2050"),
    ],
)
def test_never_a_made_up_date(series, expected):
    quarter, spread, status = cf.projection(series, 10_000, 1.0)
    assert quarter is None and expected in status


def test_already_reached():
    assert cf.projection([("2024T4", 1000)], 1000, 1.0)[2] == "atteint"


def _load(warehouse, tmp_path):
    header = "code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_bhd8;elig_thd30;elig_thd100;elig_thd1g;date\n"
    (tmp_path / "d.csv").write_text(
        header + "23096;Guéret;23;75;1000;all;0;1000;1000;1000;800;700;600;2024-12-31\n" + "08419;Signy;08;44;500;all;0;500;500;450;100;50;50;2024-12-31\n",
        encoding="utf-8",
    )
    ingest_source(warehouse, "arcep-mci-communes", tmp_path / "d.csv")
    rows = [
        (q, c, v)
        for q, vals in [("2024T1", (100, 10)), ("2024T2", (300, 20)), ("2024T3", (500, 30)), ("2024T4", (700, 40))]
        for c, v in zip(("23096", "08419"), vals)
    ]
    warehouse.executemany("INSERT INTO cf_ftth VALUES ('arcep-ftth-communes', ?, ?, ?, ?, ?, NULL, FALSE)", [[q, c, c, c[:2], v] for q, c, v in rows])


def test_milestones_and_missing_premises(warehouse, tmp_path):
    _load(warehouse, tmp_path)
    rows = {r["code"]: r for r in cf.indicator_rows(warehouse, "commune", millesime="2024T4")}
    g, s = rows["23096"], rows["08419"]
    assert g["objectif_8mbits_atteint"] is True and g["locaux_manquants_8mbits"] == 0
    assert g["objectif_30mbits_atteint"] is False and g["locaux_manquants_30mbits"] == 200
    assert s["locaux_manquants_8mbits"] == 50 and s["part_8mbits"] == 90.0
    assert g["part_ftth"] == 70.0 and g["locaux_manquants_ftth"] == 300
    assert g["projection_ftth_100"] == "2025T2"  # +200 per quarter, 300 missing -> 2 quarters
    assert s["projection_ftth_100"] == "2036T2"  # 460 missing at +10 per quarter -> 46 quarters
    assert g["source"] == "arcep-ftth-communes + arcep-mci-communes" and g["demo"] is False


def test_within_filter_and_most_behind(warehouse, tmp_path):
    _load(warehouse, tmp_path)
    assert [r["code"] for r in cf.indicator_rows(warehouse, "commune", within=TerritorySet.of("departement", "23"))] == ["23096"] * 4
    assert {r["code"] for r in cf.indicator_rows(warehouse, "region", within=TerritorySet.of("commune", "08419"))} == {"44"}
    rows = cf.indicator_rows(warehouse, "commune")
    behind = cf.most_behind(rows, "part_30mbits")
    assert [r["code"] for r in behind] == ["08419", "23096"]


def test_demo_is_calibrated_labelled_and_steps_aside_for_real_data(warehouse, tmp_path):
    from terrinum.pillars.connectivite_fixe import demo

    counts = demo.generate(warehouse)
    assert counts["cf_debits"] == 34875
    again = demo.generate(warehouse)
    assert again == counts  # deterministic, idempotent
    france = {r["millesime"]: r for r in cf.indicator_rows(warehouse, "pays")}
    for year, total in demo.FTTH_YEAR_END.items():
        assert france[f"{year}T4"]["locaux_ftth_raccordables"] == pytest.approx(total, rel=0.001)
        assert france[f"{year}T4"]["demo"] is True and france[f"{year}T4"]["source"] == "demo"
    assert france["2024T4"]["locaux"] == pytest.approx(44.6e6, rel=0.01)
    communes = {r["code"]: r for r in cf.indicator_rows(warehouse, "commune", millesime="2024T4")}
    assert communes["75056"]["zone"] == "ZTD" and communes["75056"]["part_ftth"] > communes["08419"]["part_ftth"]
    deps = {r["code"]: r for r in cf.indicator_rows(warehouse, "departement", millesime="2024T4")}
    for code, cap in demo.LATE_FIBRE_CAP.items():  # late départements stay plausible (was 99.4 % and 99.7 %)
        assert deps[code]["part_ftth"] <= 100 * cap + 0.05, code
    assert deps["974"]["part_ftth"] > 80  # La Réunion, far ahead, is not held back
    for r in communes.values():  # cumulative thresholds stay ordered
        assert r["locaux"] >= r["locaux_8mbits"] >= r["locaux_30mbits"] >= r["locaux_100mbits"] >= r["locaux_1gbits"]
    _load(warehouse, tmp_path)  # a real file arrives
    assert demo.generate(warehouse) is None
    assert not any(r["demo"] for r in cf.indicator_rows(warehouse, "pays"))


def test_a_projection_in_the_past_is_said_so():
    import datetime as dt

    today = dt.date(2026, 11, 30)  # 2026T4
    assert cf.passed("2026T3", today) and cf.passed("2025T1", today)
    assert not cf.passed("2026T4", today) and not cf.passed("2031T2", today)
    assert not cf.passed("atteint", today) and not cf.passed("pas de projection : données insuffisantes", today)
