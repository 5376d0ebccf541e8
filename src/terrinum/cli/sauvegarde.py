"""`terrinum sauvegarde` and `terrinum restauration` (maintenance.sauvegarde does the work)."""

from __future__ import annotations

from pathlib import Path

import typer

from terrinum.cli.common import django_setup, err, fail, out

app = typer.Typer()


@app.command()
def sauvegarde(
    dossier: Path = typer.Argument(..., metavar="DOSSIER", help="Dossier neuf (ou vide) où écrire la sauvegarde."),
) -> None:
    """Sauvegarde la base (comptes, lieux, journaux), l'entrepôt et les positions d'immeubles,
    avec un manifeste d'empreintes ; cohérente pendant que la plateforme tourne."""
    django_setup()
    from terrinum.maintenance import sauvegarde as service

    try:
        with err.status("Sauvegarde…") as status:
            manifest = service.backup(dossier, say=lambda m: status.update(f"Sauvegarde : {m}…"))
    except service.BackupError as exc:
        fail(f"sauvegarde impossible, rien n'est écrit : {exc}")
    rows = sum(manifest["lignes"].values())
    size = sum(f["octets"] for f in manifest["fichiers"].values())
    out.print(f"Sauvegarde écrite dans {dossier} : {rows} lignes de base, {len(manifest['fichiers'])} fichiers, {size / 1e6:.1f} Mo.")


@app.command()
def restauration(
    dossier: Path = typer.Argument(..., metavar="DOSSIER", help="Dossier d'une sauvegarde (terrinum sauvegarde)."),
    remplacer: bool = typer.Option(False, "--remplacer", help="Remplacer les données déjà présentes (sinon refus)."),
) -> None:
    """Restaure une sauvegarde après avoir vérifié chaque empreinte : base, entrepôt, positions
    d'immeubles ; le référentiel territorial est rechargé depuis les sources embarquées."""
    django_setup()
    from terrinum.maintenance import sauvegarde as service

    try:
        with err.status("Restauration…") as status:
            manifest = service.restore(dossier, replace=remplacer, say=lambda m: status.update(f"Restauration : {m}…"))
    except service.BackupError as exc:
        fail(f"restauration impossible, rien n'est changé : {exc}")
    out.print(f"Sauvegarde du {manifest['cree_le']} restaurée : {sum(manifest['lignes'].values())} lignes de base.")
