"""`terrinum rgpd`: the legal deadlines (the same function as the app), and the verbs of a
shared DPO: duplicate a model activity, export and import a collectivité's register
(apps.rgpd does the work)."""

from __future__ import annotations

import json
import sys
from enum import Enum

import typer

from terrinum.cli.common import fail, out

app = typer.Typer(help="RGPD mutualisé : délais légaux, registres des collectivités.", no_args_is_help=True)


class Kind(str, Enum):
    demande = "demande"
    violation = "violation"


class Output(str, Enum):
    texte = "texte"
    json = "json"


@app.command("echeance")
def echeance(
    type: Kind = typer.Option(..., "--type", help="demande : demande d'exercice de droits (un mois) ; violation : notification à la CNIL (72 heures)."),
    depuis: str = typer.Option(
        ...,
        "--depuis",
        metavar="AAAA-MM-JJTHH:MM",
        help="Réception de la demande, ou prise de connaissance de la violation (heure de Paris, ou avec un décalage +01:00).",
    ),
    prolongation: bool = typer.Option(False, "--prolongation", help="Demande : délai prolongé de deux mois (la personne informée dans le premier mois)."),
    departement: str = typer.Option(
        None, "--departement", metavar="CODE", help="Département de la collectivité, pour ses jours fériés (57, 67, 68, outre-mer)."
    ),
    format: Output = typer.Option(Output.texte, "--format"),
) -> None:
    """Calcule l'échéance légale (ISO 8601 avec décalage, heure de Paris) et la règle appliquée."""
    from terrinum.apps.rgpd import echeances

    if prolongation and type is Kind.violation:
        fail("--prolongation ne vaut que pour une demande (--type demande)")
    try:
        start = echeances.moment(depuis)
    except echeances.DeadlineError as exc:
        fail(f"--depuis : {exc}")
    deadline = echeances.request_deadline(start, prolongation, departement) if type is Kind.demande else echeances.breach_deadline(start)
    if format is Output.json:
        sys.stdout.write(
            json.dumps({"type": type.value, "depuis": start.isoformat(), "prolongation": prolongation, **deadline.as_dict()}, ensure_ascii=False, indent=2)
            + "\n"
        )
        return
    out.print(f"Échéance : {deadline.due:%d/%m/%Y à %H:%M:%S} (heure de Paris, {deadline.due.isoformat()})")
    for step in deadline.steps:
        out.print(f"  - {step}")
    out.print(f"Règle : {deadline.rule}")
