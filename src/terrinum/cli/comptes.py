"""`terrinum compte`: accounts, organisations and roles (accounts.services does the work)."""

from __future__ import annotations

import os
import sys
from enum import Enum

import typer

from terrinum.cli.common import django_setup, err, fail, out, within

app = typer.Typer(help="Comptes, organisations et rôles.", no_args_is_help=True)


class TypeOrganisation(str, Enum):
    collectivite = "collectivite"
    mutualisation = "mutualisation"
    lieu = "lieu"
    financeur = "financeur"
    prescripteur = "prescripteur"
    equipe_projet = "equipe_projet"
    operateur = "operateur"


class Role(str, Enum):
    admin = "admin"
    gestionnaire = "gestionnaire"
    membre = "membre"
    dpo = "dpo"
    referent = "referent"


@app.command("creer")
def compte_creer(
    identifiant: str = typer.Argument(..., metavar="IDENTIFIANT", help="Identifiant de connexion."),
    organisation: str = typer.Option(None, "--organisation", help="Nom de l'organisation (créée si besoin)."),
    type_organisation: TypeOrganisation = typer.Option(TypeOrganisation.collectivite, "--type", help="Type de l'organisation."),
    role: Role = typer.Option(
        Role.membre,
        "--role",
        help="admin, gestionnaire, membre (lecture) ; dans une structure de mutualisation : dpo (DPO mutualisé) ou referent (référent multi-structures).",
    ),
    territoire: str = typer.Option(None, "--territoire", help="Territoire de la collectivité, ou département d'une équipe projet (code ou nom)."),
    lieu: list[str] = typer.Option(None, "--lieu", help="Identifiant (champ id) d'un lieu rattaché à l'organisation ; répétable."),
    email: str = typer.Option("", "--email"),
    superutilisateur: bool = typer.Option(False, "--superutilisateur", help="Tous les droits (administration de la plateforme)."),
) -> None:
    """Crée (ou met à jour) un compte et son rôle dans une organisation. Le mot de passe est lu
    dans TERRINUM_MOT_DE_PASSE, sinon demandé."""
    django_setup()
    from terrinum.accounts import services
    from terrinum.apps.inclusion.services import attach_places

    password = os.environ.get("TERRINUM_MOT_DE_PASSE") or typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    territory = within(territoire) if territoire else None
    try:
        _, created = services.save_account(
            identifiant, password, email=email, superuser=superutilisateur, organisation=organisation,
            organisation_type=type_organisation.value, role=role.value, territory=territory,
            then=lambda org: attach_places(org, lieu or []),
        )  # fmt: skip
    except ValueError as exc:
        fail(str(exc))
    out.print(f"Compte « {identifiant} » {'créé' if created else 'mis à jour'}" + (f", {role.value} de « {organisation} »" if organisation else "") + ".")


@app.command("purger-journaux")
def purger_journaux(
    jours: int = typer.Option(
        int(os.environ.get("TERRINUM_RETENTION_JOURNAUX_JOURS", "365")), "--jours", help="Garder les journaux de connexion de ces derniers jours."
    ),
) -> None:
    """Supprime les journaux de connexion plus anciens que la durée de conservation
    (docs/registre-traitements.md) ; à lancer chaque jour (cron, minuteur systemd)."""
    django_setup()
    from terrinum.accounts import services

    try:
        deleted = services.purge_login_logs(jours)
    except ValueError as exc:
        fail(str(exc))
    out.print("Journaux de connexion de plus de " + str(jours) + " jours supprimés : " + ", ".join(f"{n} {kind}" for kind, n in deleted.items()) + ".")


@app.command("jeton")
def compte_jeton(
    identifiant: str = typer.Argument(..., metavar="IDENTIFIANT", help="Identifiant du compte."),
    revoquer: bool = typer.Option(False, "--revoquer", help="Révoquer le jeton du compte au lieu d'en créer un."),
) -> None:
    """Crée (ou remplace) le jeton d'API d'un compte, affiché une seule fois, à envoyer dans
    l'en-tête « Authorization: Bearer … » ; l'ancien cesse de fonctionner. --revoquer le
    désactive."""
    django_setup()
    from terrinum.accounts import services

    if revoquer:
        if not services.revoke_token(identifiant):
            fail(f"aucun jeton actif pour « {identifiant} »")
        out.print(f"Jeton de « {identifiant} » révoqué.")
        return
    try:
        token = services.issue_token(identifiant)
    except ValueError as exc:
        fail(str(exc))
    err.print(f"Jeton d'API de « {identifiant} » (affiché une seule fois, gardé chiffré par son empreinte) :")
    sys.stdout.write(token + "\n")
