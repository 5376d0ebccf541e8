"""Ingest: reconciliation of codes, atomic and idempotent loads, totals equal to the file's."""

import csv
from pathlib import Path

import pytest

from terrinum.pillars.connectivite_fixe import indicators as cf
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.sources.common import SourceError
from terrinum.warehouse import ingest

HEADER = "code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_bhd8;elig_thd30;elig_thd100;elig_thd1g;date\n"


def write(tmp_path: Path, lines: list[str], name="commune_debit_filaire.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + "".join(lines), encoding="utf-8")
    return p


def line(code, dep, nbr, c8, c30, date="2026-03-31"):
    return f"{code};X;{dep};00;{nbr};all;0;{nbr};{nbr};{c8};{c30};0;0;{date}\n"


def count(con, table="cf_debits"):
    return con.execute(f"SELECT count(*), coalesce(sum(locaux), 0) FROM {table}").fetchone()


def test_former_codes_non_rattachees_and_out_of_scope(tmp_path, warehouse):
    from terrinum.territories.models import CodeAlias  # noqa: F401 (documentation of where aliases come from)

    alias_code, parent = warehouse.execute("SELECT code, commune_code FROM ref_alias WHERE code NOT LIKE '75%' LIMIT 1").fetchone()
    path = write(
        tmp_path,
        [line("23096", "23", 100, 90, 50), line(alias_code, alias_code[:2], 10, 10, 10), line("23999", "23", 7, 7, 0), line("97701", "977", 5, 5, 5)],
    )
    report = ingest_source(warehouse, "arcep-mci-communes", path)
    assert report.anciens_codes == 1
    assert report.non_rattachees == [("23999", "23")]
    assert report.hors_champ == ["97701"]
    rows = dict(warehouse.execute("SELECT code_source, code_commune FROM cf_debits").fetchall())
    assert rows == {"23096": "23096", alias_code: parent, "23999": None}
    dep = {r["code"]: r for r in cf.indicator_rows(warehouse, "departement")}
    assert dep["23"]["locaux"] == 107  # the non-rattachée counts in its département
    communes = {r["code"]: r for r in cf.indicator_rows(warehouse, "commune")}
    assert "23999" not in communes and communes["23096"]["locaux"] == 100
    prov = warehouse.execute("SELECT lignes_lues, lignes_chargees, lignes_rejetees FROM provenance WHERE source = 'arcep-mci-communes'").fetchone()
    assert prov == (4, 3, 0)


def test_passage_table_resolves_remaining_codes(tmp_path, warehouse):
    passage = tmp_path / "passage.csv"
    passage.write_text("CODGEO_2019;CODGEO_2026\n23999;23096\n", encoding="utf-8")
    path = write(tmp_path, [line("23999", "23", 7, 7, 0)])
    report = ingest_source(warehouse, "arcep-mci-communes", path, passage=ingest.read_passage(passage))
    assert report.non_rattachees == [] and report.anciens_codes == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="CODGEO"):
        ingest.read_passage(bad)


def test_rejected_rows_refuse_the_whole_file_unless_accepted(tmp_path, warehouse):
    good = [line(f"230{i:02d}", "23", 100, 90, 50) for i in range(1, 20)]
    path = write(tmp_path, good + ["23096;X;23;75;abc;all;0;1;1;1;1;1;1;2026-03-31\n"])
    with pytest.raises(ingest.IngestRefused) as exc:
        ingest_source(warehouse, "arcep-mci-communes", path)
    assert "ligne 21" in str(exc.value) and "nbr" in str(exc.value)
    assert count(warehouse) == (0, 0)
    assert warehouse.execute("SELECT count(*) FROM provenance WHERE source = 'arcep-mci-communes'").fetchone() == (0,)
    report = ingest_source(warehouse, "arcep-mci-communes", path, accept_rejects=True)
    assert report.chargees == 19 and len(report.rejetees) == 1


def test_same_file_twice_changes_nothing_and_a_real_file_replaces_the_pillars_demo(tmp_path, warehouse):
    path = write(tmp_path, [line("23096", "23", 100, 90, 50)])
    ingest_source(warehouse, "arcep-mci-communes", path)
    before = (count(warehouse), warehouse.execute("SELECT count(*) FROM provenance").fetchone())
    report = ingest_source(warehouse, "arcep-mci-communes", path)
    assert report.deja_importe
    assert (count(warehouse), warehouse.execute("SELECT count(*) FROM provenance").fetchone()) == before
    warehouse.execute("INSERT INTO cf_debits VALUES ('demo', '2025T4', '08419', '08419', '08', 10, 10, 10, 0, 0, TRUE)")
    warehouse.execute("INSERT INTO cf_ftth VALUES ('demo', '2020T4', '08419', '08419', '08', 5, NULL, TRUE)")
    later = write(tmp_path, [line("08419", "08", 20, 20, 5, date="2025-12-31")], name="other.csv")
    report = ingest_source(warehouse, "arcep-mci-communes", later)
    assert report.remplace_demo
    # demo values of every table of the pillar are gone: no figure mixes real and demo inputs
    assert warehouse.execute("SELECT count(*) FROM cf_debits WHERE demo").fetchone() == (0,)
    assert warehouse.execute("SELECT count(*) FROM cf_ftth WHERE demo").fetchone() == (0,)


def test_unknown_source_and_missing_file(tmp_path, warehouse):
    with pytest.raises(SourceError, match="source inconnue"):
        ingest_source(warehouse, "arcep-nimporte", tmp_path / "x.csv")
    with pytest.raises(SourceError, match="introuvable"):
        ingest_source(warehouse, "arcep-mci-communes", tmp_path / "absent.csv")


def _file_totals(path: Path) -> dict[str, list[int]]:
    """Per département sums straight from the real 2019 file (exclusive classes)."""
    out: dict[str, list[int]] = {}
    with path.open(encoding="utf-8") as f:
        next(f)
        for row in csv.DictReader(f, delimiter=";"):
            if row["code_insee"].startswith(ingest.OUTSIDE_SCOPE):
                continue
            c30 = int(row["elig_thd30"]) + int(row["elig_thd100"]) + int(row["elig_thd1g"])
            c8 = c30 + int(row["elig_hd8"])
            t = out.setdefault(row["code_dep"], [0, 0, 0])
            t[0] += int(row["nbr"])
            t[1] += c8
            t[2] += c30
    return out


def test_real_files_totals_are_the_files_own_sums_at_every_level(real_data, warehouse):
    arcep = real_data / "arcep"
    mci = arcep / "mci_2019T3_communes_debit_beta.csv"
    ingest_source(warehouse, "arcep-mci-communes", mci)
    ingest_source(warehouse, "arcep-ftth-communes", arcep / "obs_ftth_2017T3-2018T1_deploiement_communes.csv")
    ingest_source(warehouse, "arcep-ftth-informations", arcep / "obs_ftth_2018T1_informations_communes.csv")
    expected = _file_totals(mci)
    deps = {r["code"]: r for r in cf.indicator_rows(warehouse, "departement", millesime="2019T3")}
    assert {code: [r["locaux"], r["locaux_8mbits"], r["locaux_30mbits"]] for code, r in deps.items()} == expected
    france = cf.indicator_rows(warehouse, "pays", millesime="2019T3")[0]
    total = [sum(v[i] for v in expected.values()) for i in range(3)]
    assert [france["locaux"], france["locaux_8mbits"], france["locaux_30mbits"]] == total
    assert france["part_30mbits"] == pytest.approx(100 * total[2] / total[0], abs=0.01)
    regions = cf.indicator_rows(warehouse, "region", millesime="2019T3")
    assert sum(r["locaux"] for r in regions) == total[0]
    epcis = cf.indicator_rows(warehouse, "epci", millesime="2019T3")
    communes = cf.indicator_rows(warehouse, "commune", millesime="2019T3")
    non_rattachees = warehouse.execute("SELECT sum(locaux) FROM cf_debits WHERE code_commune IS NULL").fetchone()[0]
    assert sum(r["locaux"] for r in communes) + non_rattachees == total[0]
    # communes outside any EPCI (4 islands) are the only other difference at EPCI level
    assert sum(r["locaux"] for r in epcis) <= sum(r["locaux"] for r in communes)
    # FttH: France equals the file's own sum for each quarter
    ftth = {r["millesime"]: r["locaux_ftth_raccordables"] for r in cf.indicator_rows(warehouse, "pays") if r["locaux_ftth_raccordables"] is not None}
    sums = {}
    with (arcep / "obs_ftth_2017T3-2018T1_deploiement_communes.csv").open(encoding="utf-8") as f:
        for row in list(csv.reader(f))[5:]:
            if row[1] == "Locaux Raccordables" and not row[0].startswith(ingest.OUTSIDE_SCOPE):
                for q, v in zip(["2017T3", "2017T4", "2018T1"], row[2:5]):
                    sums[q] = sums.get(q, 0) + int(v)
    assert ftth == sums
