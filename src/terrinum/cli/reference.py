"""Commands of the référentiel and the platform: init, serve, territoire, demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from terrinum.cli.common import EXIT_AMBIGUOUS, Format, django_setup, err, fail, out, print_rows, require_reference, require_up_to_date
from terrinum.config import trusted_proxies

app = typer.Typer()


@app.command()
def init() -> None:
    """Crée ou met à jour les bases de données et charge le référentiel territorial."""
    django_setup()
    from django.core.management import call_command

    from terrinum.config import data_dir
    from terrinum.pillars import publication
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
        with publication.next_version() as con:
            store.publish_reference_build(con, build, loader.cache_key(), counts)
        progress.update(task, description="Terminé", completed=steps)
    n = {k: f"{v:,}".replace(",", "\u202f") for k, v in counts.items()}
    out.print(
        f"Référentiel chargé : {n['territoires']} territoires, {n['alias']} codes d'anciennes communes, "
        f"{n['codes_postaux']} codes postaux (populations {reference.POPULATION_MILLESIME})."
    )


def default_workers() -> int:
    """One worker process per core (at least 2): pages are CPU work (DuckDB, drawing)."""
    return max(2, os.cpu_count() or 1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Adresse d'écoute (derrière un mandataire HTTPS : 127.0.0.1)."),
    port: int = typer.Option(8000, help="Port d'écoute."),
    workers: int = typer.Option(None, "--workers", min=1, help="Processus de traitement (défaut : un par cœur, 2 au moins)."),
    threads: int = typer.Option(4, "--threads", min=1, help="Fils par processus."),
    timeout: int = typer.Option(60, "--delai", min=5, help="Secondes avant qu'une requête bloquée fasse redémarrer son processus."),
    jobs: bool = typer.Option(True, "--travaux/--sans-travaux", help="Lancer aussi le processus des calculs longs (terrinum travaux)."),
    access_log: str = typer.Option(
        None,
        "--journal-acces",
        metavar="FICHIER",
        help="Écrire le journal des accès (méthode, chemin sans paramètres, code, taille, durée ; ni adresse ni navigateur) dans ce fichier, ou « - » pour la sortie d'erreur.",
    ),
) -> None:
    """Sert la plateforme web (http://HOST:PORT) avec le serveur de production Gunicorn :
    plusieurs processus, plusieurs fils chacun, et le processus des calculs longs (les
    implantations d'une région ou de la France). Exploitation : docs/exploitation.md."""
    django_setup()
    require_reference()
    require_up_to_date()
    from django.core.wsgi import get_wsgi_application
    from gunicorn.app.base import BaseApplication

    from terrinum.journaux import ACCESS_LOG_FORMAT

    if access_log not in (None, "-") and not Path(access_log).parent.is_dir():
        fail(f"--journal-acces : le dossier « {Path(access_log).parent} » n'existe pas")

    application = get_wsgi_application()  # the settings' WSGI_APPLICATION: terrinum.web.wsgi
    options = {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        "accesslog": access_log,
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": "warning",
        "forwarded_allow_ips": trusted_proxies(),
        "proc_name": "terrinum",
    }

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    out.print(f"Terrinum est servi sur http://{host}:{port}/ ({options['workers']} processus × {threads} fils ; Ctrl+C pour arrêter)")
    worker = subprocess.Popen([sys.executable, "-m", "terrinum.cli", "travaux"]) if jobs else None
    try:
        Server().run()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)


@app.command()
def travaux(
    une_fois: bool = typer.Option(False, "--une-fois", help="Traiter les calculs en attente, puis s'arrêter."),
) -> None:
    """Exécute les calculs longs demandés sur le web (implantation de nouveaux lieux pour une
    région ou la France), l'un après l'autre, au fur et à mesure. `terrinum serve` le lance."""
    import signal

    django_setup()
    from terrinum.planning import jobs

    def stop(*_):
        raise SystemExit(0)  # a job under way goes back to the queue (planning.jobs.work)

    signal.signal(signal.SIGTERM, stop)
    if not une_fois:
        err.print("Calculs longs : en attente de travaux (Ctrl+C pour arrêter).")
    try:
        done = jobs.work(once=une_fois)
    except KeyboardInterrupt:
        return
    if une_fois:
        out.print(f"{done} calcul(s) traité(s).")


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
    from terrinum.pillars import all_pillars, publication

    try:
        with publication.next_version() as con, err.status("Génération des données de démonstration…"):
            results = {p.demo_label: p.demo(con) for p in all_pillars() if p.demo is not None}
    except RuntimeError as exc:
        fail(str(exc))
    for pillar, counts in results.items():
        if counts is None:
            out.print(f"{pillar} : des fichiers réels sont importés, pas de données de démonstration.")
        else:
            written = ", ".join(f"{n:,} lignes dans {t}".replace(",", "\u202f") for t, n in counts.items())
            out.print(f"{pillar} : données de démonstration, {written} ; le premier fichier réel du pilier les remplacera.")
