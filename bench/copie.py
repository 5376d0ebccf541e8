"""Copies of an initialised data directory for the benchmarks: the source (`./run.sh` leaves
one in var/) is never modified; the copy is removed at the end. `copied` for those that
start a server or commands on it (bench/charge.py, bench/pass_numerique.py,
bench/memoire.py); `django_on_copy` for those that work in process (bench/rgpd.py,
bench/partage.py), the copy migrated (it may predate this version's tables)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def copied(source: Path, prefix: str, *skipped: str):
    """A temporary copy of `source` for the block (without drafts, locks and `skipped`)."""
    if not (source / "warehouse.duckdb").exists() or not (source / "terrinum.sqlite3").exists():
        sys.exit(f"{source} n'est pas un dossier de données initialisé : lancez d'abord ./run.sh --preparer")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        data = Path(tmp) / "donnees"
        shutil.copytree(source, data, ignore=shutil.ignore_patterns("*.brouillon*", "*.verrou", *skipped))
        yield data


@contextmanager
def django_on_copy(source: Path, prefix: str):
    with copied(source, prefix, "exports", "batiments") as data:
        os.environ["TERRINUM_DATA_DIR"] = str(data)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        yield data
