"""`terrinum indicateurs`: one command per published table of the registered pillars (its
options declared by the pillar), and the data dictionary."""

from __future__ import annotations

import inspect
from enum import Enum
from pathlib import Path

import typer

from terrinum.cli.common import ExportFormat, Niveau, django_setup, export, fail, output_file, read_warehouse, within
from terrinum.pillars import Indicators, all_pillars


def _common_options(first: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """--niveau and --territoire, the pillar's own options, then the output options."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter("niveau", keyword, default=typer.Option(Niveau.departement, "--niveau"), annotation=Niveau),
        inspect.Parameter(
            "territoire",
            keyword,
            default=typer.Option(None, "--territoire", help="Limiter aux unités situées dans ce territoire (code ou nom)."),
            annotation=str,
        ),
        *first,
        inspect.Parameter("format", keyword, default=typer.Option(ExportFormat.table, "--format"), annotation=ExportFormat),
        inspect.Parameter(
            "out_file",
            keyword,
            default=typer.Option(None, "--out", help="Fichier de sortie (obligatoire pour parquet).", callback=output_file),
            annotation=Path,
        ),
        inspect.Parameter(
            "separateur", keyword, default=typer.Option(",", "--separateur", help="Séparateur CSV : « , » ou « ; » (tableurs français)."), annotation=str
        ),
    ]


def _command(spec: Indicators):
    """A Typer command for one published table, built from its declaration."""
    params = []
    for option in spec.options:
        annotation = Enum(option.name.capitalize(), {c: c for c in option.choices}, type=str) if option.choices else option.type
        params.append(
            inspect.Parameter(
                option.name, inspect.Parameter.KEYWORD_ONLY, default=typer.Option(option.default, f"--{option.name}", help=option.help), annotation=annotation
            )
        )

    def command(niveau: Niveau, territoire: str | None, format: ExportFormat, out_file: Path | None, separateur: str, **options) -> None:
        django_setup()
        scope = within(territoire) if territoire else None
        values = {k: v.value if isinstance(v, Enum) else v for k, v in options.items()}
        checks = {o.name: o.check for o in spec.options if o.check}
        try:
            values = {k: checks[k](v) if k in checks and v is not None else v for k, v in values.items()}
            if spec.reads_warehouse:
                with read_warehouse() as con:
                    rows = spec.rows(con, niveau.value, scope, **values)
            else:
                rows = spec.rows(None, niveau.value, scope, **values)
        except ValueError as exc:
            fail(str(exc))
        if not rows:
            fail(spec.empty)
        export(rows, format, out_file, separateur, title=spec.title)

    command.__signature__ = inspect.Signature(_common_options(params), return_annotation=None)
    command.__doc__ = spec.help
    return command


def build() -> typer.Typer:
    """`terrinum indicateurs`: a command per published table of the pillars registered now."""
    app = typer.Typer(help="Indicateurs par pilier, à tous les niveaux.", no_args_is_help=True)
    for pillar in all_pillars():
        if pillar.indicators is not None:
            app.command(pillar.indicators.table)(_command(pillar.indicators))
    app.command("dictionnaire")(dictionnaire)
    return app


def dictionnaire(
    pilier: str = typer.Option(None, "--pilier", help="Une table d'indicateurs (terrinum indicateurs --help les liste) ; sans lui, toutes."),
    format: ExportFormat = typer.Option(ExportFormat.table, "--format"),
    out_file: Path = typer.Option(None, "--out", help="Fichier de sortie (obligatoire pour parquet).", callback=output_file),
    separateur: str = typer.Option(",", "--separateur", help="Séparateur CSV : « , » ou « ; » (tableurs français)."),
) -> None:
    """Dictionnaire des données : chaque colonne des exports « indicateurs », son libellé, son unité, son calcul."""
    django_setup()
    from terrinum.diagnostic import dictionnaire as dictionary

    try:
        rows = dictionary.rows(pilier)
    except ValueError as exc:
        fail(str(exc))
    export(rows, format, out_file, separateur, title="Dictionnaire des données")
