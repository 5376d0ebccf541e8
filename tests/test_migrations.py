"""Every model change has its migration (a field made longer on SQLite alone broke PostgreSQL)."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_migration_is_missing():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_siting_jobs_move_to_planning_keeps_their_rows(tmp_path):
    """The jobs' model moved from the web layer to planning without touching its table: a job
    queued before the move is still there after it (on a database of its own: SQLite in a
    temporary data directory, migrated by a separate process)."""
    import os
    import sqlite3
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"TERRINUM_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "terrinum.web.settings"}

    def migrate(*target):
        subprocess.run([sys.executable, "-m", "django", "migrate", *target, "--verbosity", "0"], env=env, check=True)

    migrate("web", "0001_calculs_implantation")
    with sqlite3.connect(tmp_path / "terrinum.sqlite3") as db:
        db.execute(
            "INSERT INTO web_calculimplantation (cle, niveau, code, parametres, statut, etape, etapes_faites, erreur, cree_le)"
            " VALUES ('k', 'region', '94', '{}', 'en_attente', '', 0, '', CURRENT_TIMESTAMP)"
        )
    migrate()
    code = "import django; django.setup(); from terrinum.planning.models import CalculImplantation as C; print(list(C.objects.values_list('niveau', 'code', 'statut')))"
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[('region', '94', 'en_attente')]"
