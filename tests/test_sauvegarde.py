"""Backup and restore (`terrinum sauvegarde` / `restauration`): every row, every warehouse
table and the same pages come back; a damaged backup or an occupied target is refused and
nothing changes."""

import difflib
import re
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from terrinum.cli import app
from terrinum.maintenance import sauvegarde
from terrinum.territories import loader
from tests.apps.inclusion.factories import place, write_csv

pytestmark = pytest.mark.django_db
runner = CliRunner()
# pages that do not depend on the time of day (the finder says which places are open now)
PAGES = ["/territoires/departement/23/", "/territoires/commune/23096/", "/connectivite-fixe/", "/france/"]


def _rows() -> dict:
    return {m._meta.label_lower: list(m._default_manager.order_by("pk").values()) for m in sauvegarde.saved_models()}


def _pages(client) -> dict:
    return {u: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", client.get(u).content.decode()) for u in PAGES}


def _same_tables(a, b) -> None:
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'a' ORDER BY 1").fetchall()]
        assert tables and tables == [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'b' ORDER BY 1").fetchall()]
        for t in tables:
            for x, y in (("a", "b"), ("b", "a")):
                assert con.execute(f'SELECT count(*) FROM (SELECT * FROM {x}."{t}" EXCEPT ALL SELECT * FROM {y}."{t}")').fetchone()[0] == 0, t


@pytest.fixture
def installation(tmp_path, monkeypatch, demo_data_dir):
    """A data directory with the demo warehouse, places imported and accounts created."""
    data = tmp_path / "installation"
    shutil.copytree(demo_data_dir, data)
    with duckdb.connect(str(data / "warehouse.duckdb")) as con:  # published as `terrinum init` would
        con.execute("UPDATE provenance SET sha256 = ? WHERE source = 'referentiel'", [loader.cache_key()])
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(data))
    monkeypatch.setenv("TERRINUM_MOT_DE_PASSE", "un-mot-de-passe-solide-42")
    places = write_csv(tmp_path / "lieux.csv", [place(id="a"), place(id="b", nom="Médiathèque de Guéret")])
    assert runner.invoke(app, ["ingest", "lieux-mediation", str(places)]).exit_code == 0
    r = runner.invoke(app, ["compte", "creer", "agent23", "--organisation", "Creuse", "--territoire", "23", "--role", "admin"])
    assert r.exit_code == 0, r.output
    return data


def test_backup_then_restore_gives_back_every_row_table_and_page(installation, tmp_path, monkeypatch, client):
    rows, pages = _rows(), _pages(client)
    assert rows["inclusion.lieu"] and rows["auth.user"] and rows["accounts.membership"]
    backup = tmp_path / "sauvegarde"
    r = runner.invoke(app, ["sauvegarde", str(backup)])
    assert r.exit_code == 0, r.output
    manifest = sauvegarde.read_manifest(backup)
    assert manifest["lignes"]["inclusion.lieu"] == 2 and manifest["entrepot"]["fr_valeurs"] > 0

    # everything lost: the rows of the database, and a new, empty data directory
    for model in reversed(sauvegarde.saved_models()):
        model._default_manager.all().delete()
    fresh = tmp_path / "neuve"
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(fresh))
    r = runner.invoke(app, ["restauration", str(backup)])
    assert r.exit_code == 0, r.output
    assert _rows() == rows  # every row, datetimes to the microsecond
    _same_tables(installation / "warehouse.duckdb", fresh / "warehouse.duckdb")
    after = _pages(client)
    for url in PAGES:
        diff = list(difflib.unified_diff(pages[url].splitlines(), after[url].splitlines(), lineterm="", n=0))
        assert not diff, (url, diff[:12])
    # ids handed out after a restore do not collide with restored ones (PostgreSQL sequences)
    r = runner.invoke(app, ["compte", "creer", "agent23-bis", "--organisation", "Creuse", "--role", "membre"])
    assert r.exit_code == 0, r.output


def test_damaged_backup_or_occupied_target_is_refused_and_nothing_changes(installation, tmp_path, monkeypatch):
    backup = tmp_path / "sauvegarde"
    sauvegarde.backup(backup)
    r = runner.invoke(app, ["sauvegarde", str(backup)])  # not an empty folder
    assert r.exit_code == 1 and "dossier vide" in " ".join(r.output.split())
    rows = _rows()
    r = runner.invoke(app, ["restauration", str(backup)])  # the installation holds data
    assert r.exit_code == 1 and "--remplacer" in r.output and _rows() == rows
    damaged = tmp_path / "abimee"
    shutil.copytree(backup, damaged)
    with (damaged / "warehouse.duckdb").open("r+b") as f:
        f.seek(5000)
        f.write(b"\x00\xff")
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(tmp_path / "neuve"))
    r = runner.invoke(app, ["restauration", str(damaged), "--remplacer"])
    text = " ".join(r.output.split())
    assert r.exit_code == 1 and "altéré" in text and "warehouse.duckdb" in "".join(text.split()), text
    assert _rows() == rows and not (tmp_path / "neuve" / "warehouse.duckdb").exists()
    (damaged / "manifeste.json").unlink()
    assert "pas une sauvegarde" in " ".join(runner.invoke(app, ["restauration", str(damaged)]).output.split())


def test_backup_waits_for_no_import_it_stops_and_says_so(installation, tmp_path):
    """While an import holds the warehouse's write lock, a backup stops cleanly."""
    import subprocess
    import sys
    import textwrap

    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(installation / "warehouse.duckdb")!r})
            con.execute("BEGIN TRANSACTION"); con.execute("CREATE TABLE verrou (x INT)")
            print("pret", flush=True); time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "pret"
        r = runner.invoke(app, ["sauvegarde", str(tmp_path / "pendant")])
        assert r.exit_code == 1 and "en cours d'écriture" in " ".join(r.output.split())
        assert not (tmp_path / "pendant").exists() and not (tmp_path / "pendant.partiel").exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
