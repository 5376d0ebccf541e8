"""Commands of the référentiel and the platform: init, serve, territoire, demo."""

from __future__ import annotations

import json
import sys

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from terrinum.cli.common import EXIT_AMBIGUOUS, Format, django_setup, err, fail, out, print_rows, require_reference

app = typer.Typer()


@app.command()
def init() -> None:
    """Crée ou met à jour les bases de données et charge le référentiel territorial."""
    django_setup()
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
        with store.writer() as con:
            store.publish_reference_build(con, build, loader.cache_key(), counts)
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
    django_setup()
    require_reference()
    from waitress import serve as waitress_serve

    from terrinum.web.wsgi import application

    out.print(f"Terrinum est servi sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="terrinum")


@app.command()
def territoire(
    query: str = typer.Argument(..., metavar="RECHERCHE", help="Nom, code INSEE, SIREN, code postal, ou niveau:code (ex. departement:23)."),
    format: Format = typer.Option(Format.table, "--format", help="table, json ou csv."),
) -> None:
    """Affiche un territoire. Code de sortie : 0 trouvé, 2 ambigu (candidats listés), 1 inconnu."""
    django_setup()
    require_reference()
    from terrinum.territories import services

    try:
        res = services.resolve(query)
    except services.ResolutionError as exc:
        fail(str(exc))
    if res.statut == "ambigu":
        err.print(f"[yellow]{res.message}[/] Précisez avec un code (INSEE, SIREN ou niveau:code) parmi :")
        print_rows([services.as_candidate(c) for c in res.candidats], format if format is not Format.table else Format.table, "Candidats")
        raise typer.Exit(EXIT_AMBIGUOUS)
    if res.statut == "inconnu":
        fail(res.message)
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
        print_rows([flat], format)
        return
    table = Table(show_header=False, title=f"{data['nom']} — {res.territoire.niveau_label}")
    for key, value in flat.items():
        table.add_row(key, "" if value is None else str(value))
    out.print(table)


@app.command()
def demo() -> None:
    """Génère les données de démonstration (déterministes, étiquetées) pour les piliers sans données réelles."""
    from terrinum.pillars import all_pillars
    from terrinum.warehouse import store

    try:
        with store.writer() as con, err.status("Génération des données de démonstration…"):
            results = {p.demo_label: p.demo(con) for p in all_pillars() if p.demo is not None}
    except RuntimeError as exc:
        fail(str(exc))
    for pillar, counts in results.items():
        if counts is None:
            out.print(f"{pillar} : des fichiers réels sont importés, pas de données de démonstration.")
        else:
            written = ", ".join(f"{n:,} lignes dans {t}".replace(",", "\u202f") for t, n in counts.items())
            out.print(f"{pillar} : données de démonstration, {written} ; le premier fichier réel du pilier les remplacera.")
