"""The `terrinum` command (Typer + Rich). Verbs are French; one module per verb group, each
calling services (no business rule, no database write of its own). Reference:
docs/cli.md, generated from this app (scripts/cli_doc.py)."""

import typer
from typer._click.exceptions import UsageError

from terrinum.cli import (
    comptes,
    concertation,
    francais,
    implantation,
    indicateurs,
    ingest,
    lieux,
    pass_numerique,
    rapport,
    reference,
    rgpd,
    sauvegarde,
    synthetique,
)
from terrinum.cli.common import EXIT_USAGE

francais.install()

# A usage error gets its own exit code, distinct from "ambiguous" (2); Typer's bundled Click
# uses 2 for both. Tested (tests/test_cli.py), so that an upgrade that moves it is seen.
UsageError.exit_code = EXIT_USAGE
HELP = (
    "Terrinum — le diagnostic numérique partagé des territoires.\n\n"
    "Codes de sortie : 0 fait ; 1 erreur (fichier refusé, territoire inconnu, données absentes) ; "
    "2 ambigu (plusieurs territoires correspondent, candidats listés) ; 64 usage incorrect (option ou argument)."
)


def build_app() -> typer.Typer:
    """The command, with the source kinds and indicator tables of the pillars registered now."""
    app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False)
    app.add_typer(reference.app)
    app.add_typer(ingest.build())
    app.add_typer(implantation.app)
    app.add_typer(lieux.app, name="lieux")
    app.add_typer(comptes.app, name="compte")
    app.add_typer(indicateurs.build(), name="indicateurs")
    app.add_typer(sauvegarde.app)
    app.add_typer(rapport.app)
    app.add_typer(pass_numerique.app, name="pass-numerique")
    app.add_typer(rgpd.app, name="rgpd")
    app.add_typer(concertation.app, name="concertation")
    app.add_typer(synthetique.app, name="synthetique")
    return app


app = build_app()


def main() -> None:  # pragma: no cover - entry point
    from django.db import DatabaseError

    from terrinum.cli.common import require_up_to_date

    try:
        app()
    except DatabaseError:
        try:
            require_up_to_date()  # after an upgrade without `terrinum init`: say so, not a traceback
        except typer.Exit as stop:
            raise SystemExit(stop.exit_code) from None
        raise
