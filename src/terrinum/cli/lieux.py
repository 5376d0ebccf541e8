"""`terrinum lieux`: the places registry in the national standard."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from terrinum.cli.common import django_setup, err, output_file, within

app = typer.Typer(help="Registre des lieux de médiation numérique.", no_args_is_help=True)


class LieuxFormat(str, Enum):
    csv = "csv"
    json = "json"


@app.command("export")
def lieux_export(
    format: LieuxFormat = typer.Option(LieuxFormat.csv, "--format", help="csv ou json, au standard national v1.0.2."),
    out_file: Path = typer.Option(None, "--out", help="Fichier de sortie (sinon la sortie standard).", callback=output_file),
    territoire: str = typer.Option(None, "--territoire", help="Limiter aux lieux situés dans ce territoire (code ou nom)."),
    separateur: str = typer.Option(",", "--separateur", help="Séparateur CSV : « , » (standard) ou « ; »."),
) -> None:
    """Exporte le registre au standard « Lieux de médiation numérique » (réimportable tel quel)."""
    django_setup()
    from terrinum.apps.inclusion import services

    rows = services.export_rows(services.places_in(within(territoire)) if territoire else None)
    text = services.to_json(rows) if format is LieuxFormat.json else services.to_csv(rows, separateur)
    if out_file:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"{len(rows)} lieu(x) écrit(s) dans {out_file}")
    else:
        sys.stdout.write(text)
