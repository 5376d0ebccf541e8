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


@pytest.mark.parametrize(
    "args, french, english",
    [
        (("indicateurs", "fragilite", "--format", "xml"), ["Valeur invalide pour", "'xml' n'est pas parmi", "Erreur"], "Invalid value"),
        (("indicateurs", "fragilite", "--niveu", "x"), ["Option inconnue : --niveu", "options possibles : --niveau"], "No such option"),
        (("ingest", "arcep-mci-communes"), ["Argument manquant : 'FICHIER'", "ingest --help"], "Missing argument"),
        (("implantation", "--territoire", "23", "--nouveaux", "abc"), ["un nombre entier est attendu"], "Input should be"),
        (("implantation", "--territoire", "23", "--nouveaux", "0"), ["la valeur doit être au moins 1"], "Input should be"),
        (("terriotire", "23"), ["Commande inconnue : 'terriotire'. Vouliez-vous dire 'territoire' ?"], "No such command"),
        (("territoire", "23", "en-trop"), ["Argument(s) en trop : en-trop"], "unexpected extra"),
    ],
)
def test_usage_errors_are_in_french_with_exit_64(args, french, english):
    """Typer's bundled Click writes these in English; users read French (cli/francais.py)."""
    r = run(*args)
    text = " ".join(r.output.replace("│", " ").split())
    assert r.exit_code == 64, text
    for words in french:
        assert words in text, (words, text)
    assert english not in text and "Try " not in text and "Error" not in text


def test_help_is_in_french():
    text = run("indicateurs", "--help").output
    assert "Afficher cette aide et quitter." in text and "Commandes" in text
    assert "Show this message" not in text and "Commands" not in text


def test_gzip_files_are_read_and_a_truncated_one_is_refused_as_such(tmp_path, fresh_data_dir):
    import gzip

    content = (
        "code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_bhd8;elig_thd30;elig_thd100;elig_thd1g;date\n"
        "23096;Guéret;23;75;100;all;0;100;100;100;90;80;50;2024-12-31\n"
    ).encode()
    good = tmp_path / "communes.csv.gz"
    good.write_bytes(gzip.compress(content))
    r = run("ingest", "arcep-mci-communes", str(good))
    assert r.exit_code == 0 and "1 / 1 / 0" in r.output, r.output
    truncated = tmp_path / "tronque.csv.gz"
    truncated.write_bytes(gzip.compress(content * 50)[:80])
    r = run("ingest", "arcep-mci-communes", str(truncated))
    text = " ".join(r.output.split())
    assert r.exit_code == 1 and "tronqué" in text and "en-tête introuvable" not in text, text


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


@pytest.mark.parametrize(
    "args",
    [
        ("indicateurs", "fragilite", "--niveau", "departement", "--format", "csv", "--out", "{missing}/f.csv"),
        ("lieux", "export", "--out", "{missing}/lieux.csv"),
        ("rgpd", "exporter", "Commune de Signy-l'Abbaye", "--format", "ods", "--sortie", "{missing}/registre.ods"),
        ("concertation", "exporter", "1", "--compte", "x", "--sortie", "{missing}/plan.csv"),
        ("implantation", "--territoire", "23", "--instance-out", "{missing}/instance.json"),
        ("rapport", "23", "--out", "{missing}/diagnostic.pdf"),
    ],
)
def test_an_output_into_a_missing_folder_is_refused_before_any_work(args, tmp_path):
    """--out / --sortie / --instance-out into a folder that does not exist gave a
    FileNotFoundError traceback after the work; now a French refusal first."""
    missing = tmp_path / "absent"
    r = run(*(a.format(missing=missing) for a in args))
    text = " ".join(r.output.replace("│", " ").split())
    assert r.exit_code in (1, 64), text
    assert "n'existe pas" in text and str(missing) in text, text
    assert "Traceback" not in text and not missing.exists()


def test_help_names_types_in_french_words():
    """The help showed « <bool> », « <str> », « <list[str]> »."""
    text = run("pass-numerique", "programme", "creer", "--help").output + run("indicateurs", "fragilite", "--help").output
    assert "<bool>" not in text and "<str>" not in text and "<list" not in text and "<int" not in text
    assert "TEXTE" in text and "table | json | csv |" in text


def test_tables_write_numbers_as_french_does():
    """Tables printed « 28583 » and « 482.259 »."""
    from terrinum.cli.common import french_number

    assert [french_number(v) for v in (28583, 2024, 482.259, 12345.5, True, None, "23096")] == [
        "28\u202f583", "2024", "482,259", "12\u202f345,5", "oui", "", "23096"]  # fmt: skip


def test_help_sentences_are_not_cut_by_the_docstrings_line_breaks(monkeypatch):
    """The list of commands showed « … commune, motif. Les » then « chèques du carnet … » on
    the next line: on a terminal wide enough, every paragraph of every help is one line."""
    import inspect

    import typer
    from typer import rich_utils

    monkeypatch.setattr(rich_utils, "MAX_WIDTH", 2000)
    checked = 0

    def walk(command, path):
        nonlocal checked
        lines = run(*path, "--help").output.splitlines()
        paragraphs = [inspect.cleandoc(command.help or "").partition("\f")[0].split("\n\n")]
        for sub in getattr(command, "commands", {}).values():
            paragraphs.append(inspect.cleandoc(sub.help or "").split("\n\n")[:1])
        for paragraph in (p for ps in paragraphs for p in ps if p.strip()):
            one_line = " ".join(paragraph.split())
            assert any(one_line in " ".join(line.split()) for line in lines), (path, one_line)
            checked += 1
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    assert checked > 60


def test_a_database_older_than_the_program_is_named_not_a_traceback(tmp_path):
    """After an upgrade without `terrinum init`, `terrinum territoire` printed a traceback
    (« no such column: territories_territory.type_nom ») and `serve` served 500s."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["TERRINUM_DATA_DIR"] = str(tmp_path)
    python = Path(sys.executable)
    older = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'terrinum.web.settings'; django.setup(); from django.core.management import call_command; call_command('migrate', verbosity=0); call_command('migrate', 'territories', '0002', verbosity=0); from terrinum.territories.models import Territory; from django.db import connection; connection.cursor().execute(\"INSERT INTO territories_territory (niveau, code, nom, nom_recherche) VALUES ('pays', 'FR', 'France', 'france')\")"
    subprocess.run([python, "-c", older], env=env, check=True, timeout=300)
    for args in (["territoire", "France"], ["serve", "--port", "1"]):
        r = subprocess.run([python.parent / "terrinum", *args], env=env, capture_output=True, text=True, timeout=120)
        text = " ".join(r.stderr.split())
        assert r.returncode == 1 and "Traceback" not in text, (args, text)
        assert "territories.0003_type_nom" in text and "lancez d'abord « terrinum init »" in text, text
