"""Django on a copy of an initialised data directory, for the benchmarks that work in
process (bench/rgpd.py, bench/partage.py): the source (`./run.sh` leaves one in var/) is
never modified; the copy is migrated (it may predate this version's tables) and removed at
the end."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def django_on_copy(source: Path, prefix: str):
    if not (source / "terrinum.sqlite3").exists():
        sys.exit(f"{source} n'est pas un dossier de données initialisé : lancez d'abord ./run.sh")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        data = Path(tmp) / "donnees"
        shutil.copytree(source, data, ignore=shutil.ignore_patterns("*.brouillon*", "*.verrou", "exports", "batiments"))
        os.environ["TERRINUM_DATA_DIR"] = str(data)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        yield data
