"""ARCEP FttH observatory: CSV exports and xlsx workbooks."""

import openpyxl
import pytest

from terrinum.sources import arcep_ftth
from terrinum.sources.common import SourceError

DEPLOYMENT_CSV = """Réseaux en fibre optique jusqu'à l'abonné (FttH),,,,
Déploiement par Commune,,,,
,,,,
,,,,
Code commune,Champ,T3 2017,T4 2017,T1 2018
23096,Locaux Raccordables," 1 200 ", -    ,1 500
23096,Catégorie,10,0,25
08419,Locaux Raccordables,0,0,0
08419,Catégorie,0,0,0
"""


def write(tmp_path, text, name="obs.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def workbook(tmp_path, quarters=("T4 2017", "T1 2018", "T2 2018", "T3 2018"), rows=None):
    """A workbook in the published layout: title rows, header on row 5, one column per quarter."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Communes"
    ws.append(["Observatoire du haut et très haut débit : déploiements"])
    ws.append(["Communes"])
    ws.append([])
    ws.append([])
    ws.append(["Code commune", "Nom commune", "Code département", "Code région", "Siren EPCI", "Logements", "Établissements",
               "Meilleure estimation des locaux à date", "Commune rurale", "Commune de montagne", "Zone(s) très dense(s)",
               "Engagements L. 33-13 (et AMEL)", "Intentions privées hors engagement L. 33-13", "OI 2018 T3", *quarters])  # fmt: skip
    for r in rows or [
        ["23096", "Guéret", "23", "75", "200034825", 9000, 800, 9800, None, None, None, "FRTE", None, "FRTE", 100, 2000, 4000, 6000],
        ["75056", "Paris", "75", "11", "200054781", 1400000, 200000, 1600000, None, None, 1, None, None, None, 1e6, 1.1e6, 1.2e6, 1.3e6],
        [1001, "L'Abergement-Clémenciat", "01", "84", "200069193", 350, 20, 370, 1, None, None, None, None, None, 0, 0, 0, 0],
    ]:
        ws.append(r)
    p = tmp_path / "2018t3-obs-hd-thd-deploiement.xlsx"
    wb.save(p)
    return p


def test_deployment_csv_export(tmp_path):
    parsed = arcep_ftth.parse_deployment(write(tmp_path, DEPLOYMENT_CSV, encoding="cp1252"))
    by = {(r["code_source"], r["millesime"]): r for r in parsed.rows}
    assert by[("23096", "2017T3")]["locaux_ftth_raccordables"] == 1200
    assert by[("23096", "2017T4")]["locaux_ftth_raccordables"] == 0  # " -    " is a published zero
    assert by[("23096", "2018T1")]["categorie"] == 25
    assert parsed.read == 2 and len(parsed.rows) == 6
    assert parsed.millesime == "2018T1"


def test_deployment_bad_values_are_rejected_with_line_and_column(tmp_path):
    text = DEPLOYMENT_CSV + "01001,Locaux Raccordables,12,douze,14\n01001,Autre chose,1,2,3\n"
    parsed = arcep_ftth.parse_deployment(write(tmp_path, text))
    problems = {(p.line, p.field) for p in parsed.rejected}
    assert (10, "T4 2017") in problems and (11, "Champ") in problems


def test_deployment_workbook(tmp_path):
    parsed = arcep_ftth.parse_deployment(workbook(tmp_path))
    by = {(r["code_source"], r["millesime"]): r["locaux_ftth_raccordables"] for r in parsed.rows}
    assert by[("23096", "2018T3")] == 6000 and by[("75056", "2017T4")] == 1_000_000
    assert by[("01001", "2018T1")] == 0  # a code read as a number gets its leading zero back
    assert len(parsed.rows) == 12 and any("xlsx" in n for n in parsed.notes)


def test_one_quarter_only(tmp_path):
    parsed = arcep_ftth.parse_deployment(workbook(tmp_path), millesime="2018T2")
    assert {r["millesime"] for r in parsed.rows} == {"2018T2"}
    with pytest.raises(SourceError, match="n'est pas dans le fichier"):
        arcep_ftth.parse_deployment(workbook(tmp_path), millesime="2020T1")


def test_information_workbook(tmp_path):
    parsed = arcep_ftth.parse_information(workbook(tmp_path))
    by = {r["code_source"]: r for r in parsed.rows}
    assert by["75056"]["zone"] == "ZTD"
    assert by["23096"]["zone"] == "AMII" and by["23096"]["operateur_amii"] == "FRTE"
    assert by["01001"]["zone"] == "RIP" and by["01001"]["rurale"] is True
    assert parsed.millesime == "2018T3"


def test_workbook_without_communes_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Départements"
    p = tmp_path / "x.xlsx"
    wb.save(p)
    with pytest.raises(SourceError, match="feuille « Communes » absente"):
        arcep_ftth.parse_deployment(p)


def test_broken_workbook(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="classeur illisible"):
        arcep_ftth.parse_information(p)


def test_real_files(real_data):
    dep = arcep_ftth.parse_deployment(real_data / "arcep" / "obs_ftth_2017T3-2018T1_deploiement_communes.csv")
    assert not dep.rejected and {r["millesime"] for r in dep.rows} == {"2017T3", "2017T4", "2018T1"}
    info = arcep_ftth.parse_information(real_data / "arcep" / "obs_ftth_2018T1_informations_communes.csv")
    assert not info.rejected and info.millesime == "2018T1"
    zones = {r["code_source"]: r["zone"] for r in info.rows}
    assert zones["75056"] == "ZTD" and zones["80001"] == "AMII" and zones["78003"] == "RIP"
    abbeville = next(r for r in info.rows if r["code_source"] == "80001")
    assert abbeville["logements"] == 12218 and abbeville["etablissements"] == 853


def test_an_information_file_alone_says_what_else_to_import(tmp_path, warehouse):
    """It replaces the pillar's demonstration data (never mixed with real data), so alone it
    gives no speeds and no fibre: the report says which files to import next."""
    from terrinum.pillars.connectivite_fixe import demo
    from terrinum.pillars.ingest import ingest as ingest_source

    demo.generate(warehouse)
    report = ingest_source(warehouse, "arcep-ftth-informations", workbook(tmp_path))
    assert report.remplace_demo
    note = next(n for n in report.notes if "démonstration" in n)
    assert "arcep-mci-communes" in note and "arcep-ftth-communes" in note and "arcep-ftth-informations" not in note


def test_a_repeated_category_line_is_refused_not_dropped(tmp_path, real_data):
    """docs/fiabilite.md: a repeated key is a rejected row, identical duplicates included; the
    second « Catégorie » line of a commune was silently dropped."""
    from terrinum.sources import arcep_ftth

    lines = (real_data / "arcep" / "obs_ftth_2017T3-2018T1_deploiement_communes.csv").read_text(encoding="utf-8").splitlines()[:12]
    category = next(i for i, line in enumerate(lines) if "Catégorie" in line or "Categorie" in line)
    path = tmp_path / "obs_ftth_deploiement.csv"
    path.write_text("\n".join([*lines[: category + 1], lines[category], *lines[category + 1 :]]) + "\n", encoding="utf-8")
    parsed = arcep_ftth.parse_deployment(path)
    assert [(p.line, p.field) for p in parsed.rejected] == [(category + 2, "Code commune")]
    assert "déjà donnée ligne" in parsed.rejected[0].reason
