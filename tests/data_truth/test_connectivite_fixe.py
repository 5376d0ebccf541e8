"""Data truth, connectivité fixe: the premises by speed (ARCEP « Ma connexion internet »,
2019 T3, per commune) and the FttH-connectable premises per quarter (ARCEP observatory,
2017 T3 – 2018 T1) the pillar publishes for France, each région and each département,
recomputed here from the real files with the csv module and the territorial reference,
apart from the pillar's code, and compared.

Definitions recomputed (docs/methodologie-technique/connectivite-fixe.md): in the 2019 beta file the speed
columns are exclusive classes (each premise in its best class), so the premises with at least
8 Mbit/s are those of the classes 8 Mbit/s and above; a territory sums its communes; a code
goes to its current commune's département, else (non rattachée) to the département the file
gives (`code_dep`) or its code names; shares are the counts over the premises, in %."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from terrinum.pillars.connectivite_fixe import indicators as published
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.warehouse import store

pytestmark = pytest.mark.realdata
SPEEDS = {"8mbits": ("elig_hd8", "elig_thd30", "elig_thd100", "elig_thd1g"), "30mbits": ("elig_thd30", "elig_thd100", "elig_thd1g"),
          "100mbits": ("elig_thd100", "elig_thd1g"), "1gbits": ("elig_thd1g",)}  # fmt: skip


@pytest.fixture(scope="module")
def truth(tmp_path_factory, reference_build):
    from tests.conftest import REAL_DATA

    if not REAL_DATA.is_dir():
        pytest.skip("../shared/data/real absent")
    folder = REAL_DATA / "arcep"
    con = store.connect(tmp_path_factory.mktemp("verite-fixe") / "warehouse.duckdb")
    store.publish_reference_build(con, reference_build, "test")
    ingest_source(con, "arcep-mci-communes", folder / "mci_2019T3_communes_debit_beta.csv")
    ingest_source(con, "arcep-ftth-communes", folder / "obs_ftth_2017T3-2018T1_deploiement_communes.csv")
    yield con, recompute(folder, reference_build)
    con.close()


def recompute(folder, build) -> dict[tuple[str, str, str], dict]:
    """{(niveau, code, quarter): {indicator: value}} for pays, region, departement."""
    communes = {t["code"]: t for t in build.territories if t["niveau"] == "commune"}
    region_of = {t["code"]: t["region_code"] for t in build.territories if t["niveau"] == "departement"}
    current = {code: code for code in communes}
    current |= {a["code"]: a["commune_code"] for a in build.aliases if a["code"] not in communes}
    current |= {t["code"]: t["commune_code"] for t in build.territories if t["niveau"] == "arrondissement"}

    def units(code: str, dep_given: str | None) -> list[tuple[str, str]]:
        if code.startswith(("975", "977", "978", "98")):  # collectivités d'outre-mer: outside the reference
            return []
        target = current.get(code)
        dep = communes[target]["departement_code"] if target else (dep_given or (code[:3] if code.startswith("97") else code[:2]))
        return [("pays", "FR"), ("departement", dep), ("region", region_of.get(dep))]

    sums: dict[tuple[str, str, str], dict] = defaultdict(lambda: defaultdict(int))
    with (folder / "mci_2019T3_communes_debit_beta.csv").open(encoding="utf-8-sig", newline="") as f:
        next(f)  # a free-text warning before the header
        for row in csv.DictReader(f, delimiter=";"):
            for niveau, code in units(row["code_insee"].strip(), row["code_dep"].strip()):
                s = sums[(niveau, code, "2019T3")]
                s["locaux"] += int(row["nbr"])
                for speed, columns in SPEEDS.items():
                    s[f"locaux_{speed}"] += sum(int(row[c]) for c in columns)
    with (folder / "obs_ftth_2017T3-2018T1_deploiement_communes.csv").open(encoding="utf-8-sig", newline="") as f:
        lines = f.read().splitlines()[4:]
    quarters = {"T3 2017": "2017T3", "T4 2017": "2017T4", "T1 2018": "2018T1"}
    for row in csv.DictReader(lines):
        if row["Champ"].strip() != "Locaux Raccordables":
            continue
        code = row["Code commune"].strip().zfill(5)
        for column, quarter in quarters.items():
            value = int(row[column].replace(" ", "") or 0)
            for niveau, unit in units(code, None):
                sums[(niveau, unit, quarter)]["locaux_ftth_raccordables"] += value
    out = {}
    for key, s in sums.items():
        row = dict(s)
        if row.get("locaux"):
            for speed in SPEEDS:
                row[f"part_{speed}"] = 100 * row[f"locaux_{speed}"] / row["locaux"]
        out[key] = row
    return out


@pytest.mark.parametrize("niveau", ["pays", "region", "departement"])
def test_every_published_fixed_connectivity_count_and_share_equals_its_recomputation(truth, niveau):
    con, expected = truth
    rows = published.indicator_rows(con, niveau)
    checked = 0
    for row in rows:
        want = expected.get((niveau, row["code"], row["millesime"]))
        assert want is not None, (niveau, row["code"], row["millesime"])
        for key, value in want.items():
            got = row[key]
            if key.startswith("part_"):
                assert got == pytest.approx(value, abs=0.005 + 1e-9), (niveau, row["code"], row["millesime"], key)
            else:
                assert got == value, (niveau, row["code"], row["millesime"], key, got, value)
            checked += 1
        assert row["demo"] is False
    assert {r["millesime"] for r in rows} == {"2017T3", "2017T4", "2018T1", "2019T3"}
    assert checked >= len(rows)


def test_france_s_premises_are_the_file_s(truth):
    con, _ = truth
    france = {r["millesime"]: r for r in published.indicator_rows(con, "pays")}
    # the sum of nbr over the 35,359 rows (42,270,879) less the 2 communes of collectivités
    # d'outre-mer (Saint-Barthélemy, Saint-Martin: 33,420 premises), outside the reference
    # (métropole and DROM)
    assert france["2019T3"]["locaux"] == 42_270_879 - 33_420
