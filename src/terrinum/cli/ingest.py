"""`terrinum ingest SOURCE PATH`: the source kinds are those the registered pillars declare."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from terrinum.cli.common import Format, django_setup, err, fail, out, progress_bar, refused, require_reference
from terrinum.pillars import source_kinds


class Moteur(str, Enum):
    local = "local"
    dask = "dask"


def build() -> typer.Typer:
    """The `ingest` command, its list of source kinds taken from the registry now."""
    app = typer.Typer()
    kinds = "\n\n".join(f"{name} : {kind.help}" for name, (_, kind) in source_kinds().items())
    app.command(epilog=f"Types de source :\n\n{kinds}")(ingest)
    return app


def ingest(
    source: str = typer.Argument(..., metavar="SOURCE", help="Type de source (liste ci-dessous)."),
    path: Path = typer.Argument(
        ..., metavar="FICHIER", help="Fichier à importer (pour arcep-mci-batiments : le dossier des base_imb_<DEP>.csv.gz et eligibilite/<trimestre>/)."
    ),
    millesime: str = typer.Option(None, "--millesime", help="Millésime (AAAATn) quand le fichier ne le porte pas."),
    passage: Path = typer.Option(None, "--passage", help="Table de passage INSEE des codes communes (CSV)."),
    accepter_rejets: bool = typer.Option(False, "--accepter-rejets", help="Charger les lignes valides même si certaines sont rejetées."),
    crs: str = typer.Option(None, "--crs", help="Système de coordonnées d'un fichier géographique qui n'en déclare pas (ex. EPSG:2154)."),
    format: Format = typer.Option(Format.table, "--format", help="table ou json (rapport d'import)."),
    moteur: Moteur = typer.Option(
        Moteur.local,
        "--moteur",
        help="Où calculer les partitions par département (imports par immeuble, croisement des immeubles et des polygones de couverture) : local (cette machine) ou dask (grappe Dask).",
    ),
    cluster: str = typer.Option(
        None,
        "--cluster",
        metavar="tcp://HOTE:PORT",
        help="Ordonnanceur Dask à employer avec --moteur dask (sans : une grappe locale sur les cœurs de la machine).",
    ),
) -> None:
    """Importe un fichier source dans l'entrepôt, ou des lieux dans le registre (une
    transaction ; réimporter ne change rien)."""
    from terrinum import engines
    from terrinum.pillars import ingest as service
    from terrinum.sources.common import SourceError
    from terrinum.warehouse import ingest as warehouse_ingest

    kind = source_kinds().get(source)
    if kind is not None and kind[1].load is not None:
        _ingest_elsewhere(source, path, accepter_rejets, format)
        return
    if moteur is not Moteur.local and kind is not None and not kind[1].partitioned:
        fail(
            f"--moteur {moteur.value} : « {source} » se calcule sur cette machine seulement (se répartissent par département : {', '.join(n for n, (_, k) in source_kinds().items() if k.partitioned)})"
        )
    try:
        engine = engines.engine(moteur.value, cluster)
    except engines.EngineError as exc:
        fail(str(exc))
    try:
        table_passage = warehouse_ingest.read_passage(passage) if passage else None
        if engine.dashboard:
            err.print(f"Moteur Dask : {engine.workers} worker(s) ; tableau de bord : {engine.dashboard}")
        with progress_bar(transient=True) as bar:
            task = bar.add_task(f"Import de {path.name}", total=None)

            def waiting() -> None:
                bar.update(task, description=f"Un autre import est en cours : {path.name} attend qu'il se termine…")
                err.print(f"Un autre import est en cours : {path.name} sera importé ensuite (attente).")

            def progress(done: int, total: int) -> None:
                bar.update(task, description=f"Import de {path.name} : départements", completed=done, total=total)

            report = service.ingest_path(
                source,
                path,
                on_wait=waiting,
                millesime=millesime,
                passage=table_passage,
                accept_rejects=accepter_rejets,
                crs=crs,
                engine=engine,
                progress=progress,
            )
    except SourceError as exc:
        fail(f"fichier refusé, rien n'est chargé.\n  {exc}")
    except warehouse_ingest.IngestRefused as exc:
        refused(exc.problems, warehouse_ingest.MAX_LISTED)
    except engines.EngineError as exc:
        fail(f"calcul interrompu, rien n'est chargé.\n  {exc}")
    finally:
        engine.close()
    data = report.as_dict()
    if format is Format.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    if report.deja_importe:
        out.print(f"{path.name} est déjà importé (même contenu) : rien n'a changé.")
        return
    table = Table(show_header=False, title=f"Import {source} — {path.name}")
    table.add_row("millésime(s)", ", ".join(report.millesimes))
    table.add_row("lignes lues / chargées / rejetées", f"{report.lues} / {report.chargees} / {len(report.rejetees)}")
    table.add_row("anciens codes rattachés", str(report.anciens_codes))
    table.add_row("codes non rattachés (comptés au département)", ", ".join(f"{c} ({d})" for c, d in report.non_rattachees) or "aucun")
    if report.remplace_demo:
        table.add_row("données de démonstration", "retirées de tout le pilier")
    for note in report.notes:
        table.add_row("note", note)
    for problem in report.rejetees[: warehouse_ingest.MAX_LISTED]:
        table.add_row("rejet", str(problem))
    out.print(table)


def _ingest_elsewhere(source: str, path: Path, accept_rejects: bool, fmt: Format) -> None:
    """A kind held by an operational app (places go to the relational registry)."""
    django_setup()
    from terrinum.apps.inclusion.services import ImportRefused
    from terrinum.pillars import ingest as service
    from terrinum.sources.common import SourceError

    require_reference()
    try:
        with err.status(f"Import de {path.name}…"):
            report = service.load_elsewhere(source, path, accept_rejects=accept_rejects)
    except SourceError as exc:
        fail(f"fichier refusé, rien n'est chargé.\n  {exc}")
    except ImportRefused as exc:
        refused(exc.problems)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(show_header=False, title=f"Import {source} — {path.name}")
    table.add_row("lignes lues / rejetées", f"{report.lues} / {len(report.rejetees)}")
    table.add_row("lieux créés / mis à jour / fusionnés / inchangés", f"{report.creees} / {report.mises_a_jour} / {report.fusionnees} / {report.inchangees}")
    for note in report.notes:
        table.add_row("note", note)
    for problem in report.rejetees[:20]:
        table.add_row("rejet", str(problem))
    out.print(table)
