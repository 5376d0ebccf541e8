"""`terrinum concertation`: invitations, reminders and the export of a démarche's action plan
(apps.concertation.services and web.partage do the work)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from terrinum.cli.common import django_setup, fail, out, output_file

app = typer.Typer(help="Diagnostic partagé : invitations, relances, plan d'actions.", no_args_is_help=True)
COMPTE = typer.Option(..., "--compte", metavar="IDENTIFIANT", help="Le compte du porteur au nom duquel agir.")


def _context(demarche: int, compte: str):
    from django.contrib.auth import get_user_model

    from terrinum.apps.concertation.models import Demarche

    user = get_user_model().objects.filter(username=compte).first()
    if user is None:
        fail(f"--compte : aucun compte « {compte} »")
    d = Demarche.objects.filter(pk=demarche).select_related("porteur").first()
    if d is None:
        fail(f"aucune démarche n° {demarche}")
    return d, user


@app.command("inviter")
def inviter(
    demarche: int = typer.Argument(..., help="Numéro de la démarche (dans son adresse : /diagnostic-partage/N/)."),
    compte: str = COMPTE,
    communes: bool = typer.Option(False, "--communes", help="Toutes les communes du territoire, par lien, courriel aux mairies connues."),
    organisation: list[str] = typer.Option(None, "--organisation", help="Une organisation qui a des comptes ; répétable."),
    lien: str = typer.Option(None, "--lien", metavar="NOM", help="Un partenaire sans compte : son lien est affiché (et envoyé avec --email)."),
    email: str = typer.Option("", "--email"),
    adresse: str = typer.Option("http://127.0.0.1:8000", "--adresse", help="Adresse publique de la plateforme, pour les liens."),
) -> None:
    """Invite des participants : organisations, partenaires par lien, ou toutes les communes en une transaction."""
    django_setup()
    from terrinum.accounts.models import Organisation
    from terrinum.apps.concertation import services

    d, user = _context(demarche, compte)
    try:
        for nom in organisation or []:
            org = Organisation.objects.filter(nom=nom).first()
            if org is None:
                fail(f"--organisation : aucune organisation « {nom} »")
            services.invite_organisation(d, org, user)
            out.print(f"{nom} invitée.")
        if lien:
            p, token = services.invite_link(d, lien, email, user)
            services.mail_invitations(d, [(p, token)], adresse.rstrip("/"))
            out.print(f"{p.nom} : {adresse.rstrip('/')}/contribuer/{token}/ (valable jusqu'au {p.expire_le:%d/%m/%Y})", highlight=False)
        if communes:
            made = services.invite_communes(d, user)
            sent = services.mail_invitations(d, made, adresse.rstrip("/"))
            out.print(f"{len(made)} commune(s) invitée(s) en une transaction ; {sent} courriel(s) envoyé(s).")
    except services.Refused as exc:
        fail(str(exc))


@app.command("relancer")
def relancer(demarche: int = typer.Argument(...), compte: str = COMPTE) -> None:
    """Liste (et note comme relancés) les participants qui n'ont encore rien envoyé."""
    django_setup()
    from terrinum.apps.concertation import services

    d, user = _context(demarche, compte)
    try:
        late = services.remind(d, user)
    except services.Refused as exc:
        fail(str(exc))
    for p in late:
        out.print(f"{p.nom}{' — ' + p.email if p.email else ''}", highlight=False)
    out.print(f"{len(late)} participant(s) sans contribution envoyée.")


class PlanFormat(str, Enum):
    csv = "csv"
    ods = "ods"


@app.command("exporter")
def exporter(
    demarche: int = typer.Argument(...),
    compte: str = COMPTE,
    format: PlanFormat = typer.Option(PlanFormat.csv, "--format"),
    sortie: Path = typer.Option(..., "--sortie", metavar="FICHIER", callback=output_file),
) -> None:
    """Exporte le plan d'actions et son plan de financement (une ligne par financement)."""
    django_setup()
    from terrinum.apps.concertation import services

    d, user = _context(demarche, compte)
    if not services.visible_to(user).filter(pk=d.pk).exists():
        fail(f"la démarche n° {demarche} n'est pas dans le périmètre de « {compte} »")
    sortie.write_bytes(services.plan_file(d, format.value))
    out.print(f"Plan d'actions écrit dans {sortie}.", highlight=False)
