"""What every `terrinum` command shares: Django set-up, errors, territory resolution, and
the table / JSON / CSV / Parquet output of rows."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from terrinum.territories.helpers import TerritorySet

out = Console()
err = Console(stderr=True)
# Exit codes, the same for every command (stated in `terrinum --help` and docs/cli.md).
EXIT_ERROR = 1  # refused file, unknown territory, missing data...
EXIT_AMBIGUOUS = 2  # several territories match: candidates listed
EXIT_USAGE = 64  # bad option or argument (EX_USAGE of sysexits.h)


def progress_bar(transient: bool = False) -> Progress:
    """The progress bar of long commands, on stderr: what is done, done / total, time."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=transient)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ExportFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"


class Niveau(str, Enum):
    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"
    pays = "pays"


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    import django

    django.setup()


def fail(message: str, code: int = EXIT_ERROR) -> None:
    err.print(f"[bold red]Erreur :[/] {message}")
    raise typer.Exit(code)


def reference_loaded() -> bool:
    from django.db import DatabaseError

    from terrinum.territories.models import Territory

    try:
        return Territory.objects.filter(niveau="pays").exists()
    except DatabaseError:
        return False


def require_reference() -> None:
    if not reference_loaded():
        fail("le référentiel n'est pas chargé : lancez d'abord « terrinum init ».")


def pending_migrations() -> list[str]:
    """Database migrations of this version not applied yet to the data directory's database."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())]


def require_up_to_date() -> None:
    """Refuse to work on a database older than the program (after an upgrade without
    `terrinum init`): a page or a command would fail on a missing column."""
    pending = pending_migrations()
    if pending:
        fail(
            f"la base de données date d'une version précédente ({len(pending)} mise(s) à jour à appliquer, dont {pending[0]}) : lancez d'abord « terrinum init », qui la met à jour sans rien perdre."
        )


def print_rows(rows: list[dict], fmt: Format, title: str | None = None) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0].keys()) if rows else [])
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title)
    for key in rows[0].keys() if rows else []:
        table.add_column(key)
    for row in rows:
        table.add_row(*[french_number(v) for v in row.values()])
    out.print(table)


def french_number(value) -> str:
    """A table cell as French writes numbers: « 28 583 », « 482,259 » (a narrow no-break
    space between thousands from 10 000 on, so that years stay « 2024 »; a decimal comma).
    JSON and CSV keep machine numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f") if abs(value) >= 10_000 else str(value)
    whole, _, decimals = repr(value).partition(".")
    if "e" in repr(value) or not decimals:
        return str(value).replace(".", ",")
    grouped = f"{int(whole):,}".replace(",", "\u202f") if abs(value) >= 10_000 else whole
    return f"{grouped},{decimals}"


def territory(query: str, what: str = "les indicateurs s'arrêtent"):
    """The territory a query names (exit 1 with candidates when not exactly one, 2 when
    ambiguous); an arrondissement is refused (`what` says why)."""
    from terrinum.territories import services

    require_reference()
    try:
        res = services.resolve(query)
    except services.ResolutionError as exc:
        fail(str(exc))
    if res.statut != "trouve":
        candidates = " Candidats : " + ", ".join(f"{c.niveau}:{c.code} {c.nom}" for c in res.candidats[:10]) if res.candidats else ""
        fail(res.message + candidates, EXIT_AMBIGUOUS if res.statut == "ambigu" else EXIT_ERROR)
    if res.territoire.niveau == "arrondissement":
        fail(f"{what} à la commune : donnez la commune plutôt que l'arrondissement.")
    return res.territoire


def within(query: str) -> TerritorySet:
    """The territory a --territoire option names, as a filter."""
    t = territory(query)
    return TerritorySet.of(t.niveau, t.code)


def export(rows: list[dict], fmt: ExportFormat, out_file: Path | None, separateur: str, title: str) -> None:
    if separateur not in (",", ";"):
        fail("--separateur : « , » ou « ; » seulement.")
    if fmt is ExportFormat.parquet:
        if out_file is None:
            fail("--format parquet demande --out FICHIER.")
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), out_file)
        err.print(f"{len(rows)} lignes écrites dans {out_file}")
        return
    if fmt is ExportFormat.json:
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    elif fmt is ExportFormat.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=separateur)
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        print_rows(rows, Format.table, title)
        return
    if out_file:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"{len(rows)} lignes écrites dans {out_file}")
    else:
        sys.stdout.write(text)


def read_warehouse():
    """A read-only warehouse connection (the web server may be reading it too)."""
    from terrinum.warehouse import store

    if not store.warehouse_path().exists():
        fail("pas d'entrepôt de données : lancez « terrinum init » puis importez des fichiers ou lancez « terrinum demo ».")
    return store.connect(store.warehouse_path(), read_only=True)


def refused(problems: list, limit: int = 20) -> None:
    """Fail with the rejected rows of a refused file (nothing was loaded)."""
    listed = "\n".join(f"  {p}" for p in problems[:limit])
    more = len(problems) - limit
    suffix = f"\n  … et {more} autre(s)" if more > 0 else ""
    fail(f"{len(problems)} ligne(s) rejetée(s) : fichier refusé, rien n'est chargé (--accepter-rejets pour charger les lignes valides).\n{listed}{suffix}")


def output_folder(path: Path | None) -> Path | None:
    """Typer callback of an option naming a folder to write files into: it must exist."""
    if path is not None and not path.is_dir():
        raise typer.BadParameter(f"le dossier « {path} » n'existe pas : créez-le, ou choisissez un autre chemin")
    return path


def output_file(path: Path | None) -> Path | None:
    """Typer callback of an option naming a file to write: its folder must exist (checked
    before any work, said in French instead of a FileNotFoundError after it)."""
    if path is not None:
        if path.is_dir():
            raise typer.BadParameter(f"« {path} » est un dossier : un nom de fichier est attendu")
        if not path.parent.is_dir():
            raise typer.BadParameter(f"le dossier « {path.parent} » n'existe pas : créez-le, ou choisissez un autre chemin")
    return path
