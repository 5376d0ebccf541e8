"""`terrinum synthetique`: invented files in published formats, for national runs and
benchmarks that anyone can reproduce (docs/echelle-nationale.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from terrinum.cli.common import fail, out, progress_bar, read_warehouse

app = typer.Typer(help="Fichiers synthétiques aux formats publiés (essais à l'échelle nationale).", no_args_is_help=True)


@app.command("immeubles")
def immeubles(
    dossier: Path = typer.Argument(..., metavar="DOSSIER", help="Dossier où écrire base_imb_<DEP>.csv.gz et eligibilite/<trimestre>/."),
    echelle: float = typer.Option(0.01, "--echelle", help="Part des locaux de chaque commune à générer (1 : toute la France, environ 100 millions de lignes)."),
    graine: int = typer.Option(1, "--graine", help="Graine du générateur : mêmes options, mêmes fichiers."),
    departements: str = typer.Option(None, "--departements", help="Départements à générer, séparés par des virgules (par défaut : tous)."),
    millesime: str = typer.Option(None, "--millesime", help="Trimestre des chiffres communaux de calibrage (par défaut : le plus récent)."),
) -> None:
    """Génère des fichiers d'éligibilité par immeuble inventés, calibrés commune par commune sur
    les chiffres de la connectivité fixe (démonstration ou importés) : aucune ligne n'est réelle."""
    from terrinum.pillars.connectivite_fixe import synthetique

    if not 0 < echelle <= 1:
        fail(f"--echelle {echelle} : une part entre 0 (exclu) et 1 est attendue")
    with (
        read_warehouse() as con,
        progress_bar(transient=True) as bar,
    ):
        task = bar.add_task("Départements écrits", total=None)
        try:
            totals = synthetique.generate(
                con,
                dossier,
                scale=echelle,
                seed=graine,
                departements=[d.strip() for d in departements.split(",") if d.strip()] if departements else None,
                millesime=millesime,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except ValueError as exc:
            fail(str(exc))
    out.print(
        f"{totals['departements']} département(s), {totals['immeubles']} immeubles, {totals['lignes']} lignes d'éligibilité "
        f"(millésime {totals['millesime']}, calibrage : {totals['calibration']}) dans {dossier}"
    )
