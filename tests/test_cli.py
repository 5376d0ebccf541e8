"""The `terrinum` CLI, in process, against the test database with the real reference."""

import json

import pytest
from typer.testing import CliRunner

from terrinum.cli import app

pytestmark = pytest.mark.django_db
runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_signy_json():
    r = run("territoire", "Signy-l'Abbaye", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["code"] == "08419" and d["niveau"] == "commune"
    assert d["epci"]["code"] == "240800862"
    for key in ("nom", "population", "population_millesime", "superficie_km2", "parents", "departement", "region", "mairie"):
        assert key in d
    assert set(d["mairie"]) >= {"adresse", "latitude", "longitude"}
    assert all(set(p) == {"niveau", "code", "nom"} for p in d["parents"])


def test_gueret_json():
    d = json.loads(run("territoire", "gueret", "--format", "json").stdout)
    assert (d["code"], d["epci"]["code"], d["departement"], d["region"]) == ("23096", "200034825", "23", "75")


def test_table_and_csv():
    r = run("territoire", "23")
    assert r.exit_code == 0 and "Creuse" in r.stdout
    r = run("territoire", "23", "--format", "csv")
    assert r.exit_code == 0 and r.stdout.splitlines()[0].startswith("code,niveau,nom")


def test_ambiguous_exits_2_with_candidates():
    r = run("territoire", "SAINT-DENIS", "--format", "json")
    assert r.exit_code == 2
    candidates = json.loads(r.stdout)
    assert [c["code"] for c in candidates][:2] == ["97411", "93066"]


def test_unknown_exits_1():
    r = run("territoire", "zzzzqq")
    assert r.exit_code == 1 and "Aucun territoire" in r.stderr


@pytest.mark.parametrize("query", ["", "1234"])
def test_empty_or_malformed_exits_1(query):
    r = run("territoire", query)
    assert r.exit_code == 1
    assert "Erreur" in r.stderr
    assert "Traceback" not in r.output


def test_bad_format_is_a_usage_error():
    r = run("territoire", "gueret", "--format", "xml")
    assert r.exit_code == 64


def test_exit_codes_are_distinct_and_stated():
    """0 done, 1 error, 2 ambiguous, 64 usage error: a usage error and "ambiguous" both gave 2,
    and an ambiguous territory gave 1 in every command but `territoire`."""
    assert run("indicateurs", "fragilite", "--format", "xml").exit_code == 64
    assert run("territoire", "Signy").exit_code == 2
    assert run("implantation", "--territoire", "Signy", "--nouveaux", "1").exit_code == 2
    assert run("territoire", "Nulle-part-sur-Loire").exit_code == 1
    assert "Codes de sortie" in run("--help").output


def test_a_folder_is_not_a_file_and_a_file_is_not_a_folder(tmp_path):
    from terrinum.pillars.ingest import kind_of
    from terrinum.sources.common import SourceError

    file = tmp_path / "x.csv"
    file.write_text("a;b\n")
    with pytest.raises(SourceError, match="c'est un dossier"):
        kind_of("arcep-mci-communes", tmp_path)
    with pytest.raises(SourceError, match="lit un dossier"):
        kind_of("arcep-mci-batiments", file)
    with pytest.raises(SourceError, match="fichier introuvable"):
        kind_of("lieux-mediation", tmp_path / "absent.csv")


def test_bad_vintage_and_missing_passage_table_are_errors_not_tracebacks(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(tmp_path))
    path = tmp_path / "mci_2019T3.csv"
    path.write_text(
        "code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_hd8;elig_thd30;elig_thd100;elig_thd1g;date\n"
        "67017;Baerendorf;67;44;148;logloc;0;0;0;10;0;0;138;2019-09-30\n"
    )
    r = run("ingest", "arcep-mci-communes", str(path), "--millesime", "2019T9")
    assert r.exit_code == 1 and "--millesime" in r.output and "Traceback" not in r.output
    r = run("ingest", "arcep-mci-communes", str(path), "--passage", str(tmp_path / "absente.csv"))
    assert r.exit_code == 1 and "table de passage introuvable" in r.output and "Traceback" not in r.output
