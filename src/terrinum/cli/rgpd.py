"""`terrinum rgpd`: the legal deadlines (the same function as the app), and the verbs of a
shared DPO: duplicate a model activity, export and import a collectivité's register
(apps.rgpd does the work)."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

import typer

from terrinum.cli.common import django_setup, err, fail, out, output_file, territory

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


def _account(identifiant: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=identifiant).first()
    if user is None:
        fail(f"--compte : aucun compte « {identifiant} » (terrinum compte creer)")
    return user


def _collectivite(nom: str):
    from terrinum.apps.rgpd.models import Collectivite

    found = Collectivite.objects.filter(organisation__nom=nom).select_related("organisation").first()
    if found is None:
        fail(f"aucune collectivité « {nom} » suivie au titre du RGPD (terrinum rgpd adherer)")
    return found


COMPTE = typer.Option(..., "--compte", metavar="IDENTIFIANT", help="Le compte au nom duquel agir (ses droits s'appliquent : DPO, référent, gestionnaire).")


@app.command("adherer")
def adherer(
    structure: str = typer.Option(..., "--structure", help="La structure de mutualisation (organisation de type mutualisation)."),
    organisation: str = typer.Option(..., "--organisation", help="La collectivité servie (créée si besoin, de type collectivité)."),
    categorie: str = typer.Option("commune", "--categorie", help="commune, ccas, epci, cias, syndicat, etablissement, association ou autre."),
    territoire: str = typer.Option(None, "--territoire", help="Sa commune ou son EPCI dans le référentiel (code ou nom)."),
    designation: str = typer.Option("", "--designation-cnil", help="Numéro de désignation du DPO auprès de la CNIL."),
) -> None:
    """Met une collectivité parmi celles que sert une structure de mutualisation (son dossier RGPD)."""
    django_setup()
    from terrinum.accounts.models import Organisation
    from terrinum.apps.rgpd import services

    host = Organisation.objects.filter(nom=structure, type=Organisation.MUTUALISATION).first()
    if host is None:
        fail(f"--structure : aucune structure de mutualisation « {structure} » (terrinum compte creer --type mutualisation)")
    t = territory(territoire, "le dossier RGPD est rattaché") if territoire else None
    try:
        c = services.adhere(host, organisation, categorie, t, designation)
    except services.Refused as exc:
        fail(f"--territoire : {exc}" if t is not None and "EPCI" in str(exc) else str(exc))
    out.print(f"« {c} » est servie par « {host.nom} » ({c.get_categorie_display()}).")


@app.command("confier")
def confier(
    identifiant: str = typer.Argument(..., help="Le compte du référent (rôle referent dans la structure)."),
    structure: str = typer.Option(..., "--structure"),
    collectivite: list[str] = typer.Option(..., "--collectivite", help="Une collectivité confiée ; répétable."),
) -> None:
    """Confie des collectivités de la structure à un référent multi-structures."""
    django_setup()
    from terrinum.accounts.models import Membership

    m = Membership.objects.filter(user__username=identifiant, organisation__nom=structure, role=Membership.REFERENT).first()
    if m is None:
        fail(
            f"« {identifiant} » n'est pas référent de « {structure} » (terrinum compte creer {identifiant} --organisation … --type mutualisation --role referent)"
        )
    served = {o.nom: o for o in m.organisation.collectivites_servies.all()}
    unknown = [n for n in collectivite if n not in served]
    if unknown:
        fail(f"--collectivite : pas servie(s) par « {structure} » : {', '.join(unknown)}")
    m.collectivites_assignees.add(*[served[n] for n in collectivite])
    out.print(f"{len(collectivite)} collectivité(s) confiée(s) à « {identifiant} ».")


@app.command("dupliquer")
def dupliquer(
    modele: str = typer.Argument(..., help="Le modèle de la bibliothèque (ex. listes-electorales ; terrinum rgpd modeles les liste)."),
    compte: str = COMPTE,
    collectivite: list[str] = typer.Option(None, "--collectivite", help="Une collectivité ; répétable. Sans elle : toutes celles du compte."),
) -> None:
    """Copie un modèle d'activité dans un ou plusieurs registres, en une transaction."""
    django_setup()
    from terrinum.accounts import policy
    from terrinum.apps.rgpd import services

    user = _account(compte)
    if collectivite:
        targets = [_collectivite(n) for n in collectivite]
    else:
        allowed = policy.rgpd_collectivites(user, "modifier")
        targets = [c for c in services.readable(user) if allowed is None or c.organisation_id in allowed]
    try:
        done = services.duplicate(modele, targets, user)
    except services.Refused as exc:
        fail(str(exc))
    skipped = f" ; {done['autre_categorie']} non copié(s) : ce modèle est celui d'un autre type de collectivité" if done.get("autre_categorie") else ""
    out.print(f"Modèle « {modele} » copié dans {done['creees']} registre(s) ; {done['deja_presentes']} l'avaient déjà{skipped}.")


@app.command("modeles")
def lister_modeles() -> None:
    """La bibliothèque des modèles d'activités et leurs sources."""
    from terrinum.apps.rgpd import modeles

    for m in modeles.MODELS:
        out.print(f"{m.key} — {m.nom} (sources : {m.sources})")


class ExportFormat(str, Enum):
    json = "json"
    ods = "ods"
    xlsx = "xlsx"
    csv = "csv"
    pdf = "pdf"


@app.command("exporter")
def exporter(
    collectivite: str = typer.Argument(..., help="Nom de la collectivité."),
    compte: str = COMPTE,
    format: ExportFormat = typer.Option(
        ExportFormat.json, "--format", help="json : la collectivité entière (à réimporter) ; ods, xlsx, csv, pdf : le registre."
    ),
    sortie: Path = typer.Option(None, "--sortie", metavar="FICHIER", help="Sans elle : la sortie standard (json, csv).", callback=output_file),
) -> None:
    """Exporte le registre d'une collectivité."""
    django_setup()
    from terrinum.accounts import policy
    from terrinum.apps.rgpd import services

    user, c = _account(compte), _collectivite(collectivite)
    if not policy.may_rgpd(user, c, "lire"):
        fail(f"« {collectivite} » n'est pas dans le périmètre de « {compte} »")
    body = {
        "json": lambda: json.dumps(services.export_json(c), ensure_ascii=False, indent=2) + "\n",
        "csv": lambda: services.register_csv(c),
        "ods": lambda: services.register_ods(c),
        "xlsx": lambda: services.register_xlsx(c),
        "pdf": lambda: services.register_pdf(c),
    }[format.value]()
    if sortie is None:
        if isinstance(body, bytes):
            fail(f"--sortie : un fichier pour le format {format.value}")
        sys.stdout.write(body)
        return
    sortie.write_bytes(body if isinstance(body, bytes) else body.encode())
    out.print(f"Registre de « {c} » écrit dans {sortie}.", highlight=False)


@app.command("importer")
def importer(
    collectivite: str = typer.Argument(..., help="Nom de la collectivité qui reçoit le fichier."),
    fichier: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="Un registre en tableur (ODS ou XLSX, une ligne par activité) ou un export JSON (terrinum rgpd exporter)."
    ),
    compte: str = COMPTE,
) -> None:
    """Importe un registre dans une collectivité, en une transaction (rien n'est écrit en cas
    d'erreur) : un tableur ODS ou XLSX (colonnes du modèle de la CNIL ou de l'export de
    Terrinum ; chaque colonne reprise ou signalée), ou un export JSON. Réimporter le même
    fichier ne change rien."""
    django_setup()
    from terrinum.apps.rgpd import services, tableur

    user, c = _account(compte), _collectivite(collectivite)
    raw = fichier.read_bytes()
    try:
        if raw[:2] == b"PK":  # ODS and XLSX are ZIP archives
            report = tableur.import_spreadsheet(c, raw, str(fichier), user)
        else:
            counts = services.import_json(c, services.read_export(raw, str(fichier)), user, str(fichier))
    except services.Refused as exc:
        fail(str(exc))
    if raw[:2] != b"PK":
        out.print(f"Importé dans « {c} » : {counts['activites']} activité(s), {counts['sous_traitants']} sous-traitant(s), {counts['actions']} action(s).")
        return
    out.print(f"Importé dans « {c} » : {tableur.summary(report)}", highlight=False)
    for column, why in report.ignorees.items():
        err.print(f"  colonne « {column} » non reprise : {why}", highlight=False)
    for value in report.valeurs:
        err.print(f"  {value}", highlight=False)


@app.command("madis")
def madis_import(
    fichiers: list[Path] = typer.Argument(
        ..., exists=True, dir_okay=False, metavar="FICHIER.csv...", help="Les exports CSV de Madis : traitements, sous-traitants."
    ),
    structure: str = typer.Option(..., "--structure", help="La structure de mutualisation dont Madis tient les registres."),
    compte: str = COMPTE,
    creer: bool = typer.Option(False, "--creer-collectivites", help="Créer et faire adhérer les collectivités que la structure ne sert pas encore."),
) -> None:
    """Reprend les registres tenus dans Madis : ses exports CSV des traitements et des
    sous-traitants, pour toutes les collectivités de la structure ; chaque ligne va au registre
    de la collectivité qu'elle nomme. Une transaction ; réimporter ne change rien."""
    django_setup()
    from terrinum.accounts.models import Organisation
    from terrinum.apps.rgpd import madis, services

    user = _account(compte)
    host = Organisation.objects.filter(nom=structure, type=Organisation.MUTUALISATION).first()
    if host is None:
        fail(f"--structure : aucune structure de mutualisation « {structure} »")
    try:
        done = madis.import_files(host, user, [(f.name, f.read_bytes()) for f in fichiers], creer)
    except services.Refused as exc:
        fail(str(exc))
    for kind, report in done:
        out.print(f"{'Sous-traitants' if kind == 'sous-traitant' else 'Traitements'} : {madis.summary(report, kind)}", highlight=False)
        for line in [*report.non_importees, *report.valeurs]:
            err.print(f"  {line}", highlight=False)
        for column, why in report.ignorees.items():
            err.print(f"  colonne « {column} » non reprise : {why}", highlight=False)


@app.command("rapport-annuel")
def rapport_annuel(
    sortie: Path = typer.Option(..., "--sortie", metavar="FICHIER", help="Le rapport : .odt ou .pdf selon l'extension.", callback=output_file),
    compte: str = COMPTE,
    collectivite: str = typer.Option(None, "--collectivite", metavar="NOM", help="Le rapport d'une collectivité."),
    structure: str = typer.Option(None, "--structure", metavar="NOM", help="Le rapport de la structure (une ligne par collectivité servie)."),
    annee: int = typer.Option(None, "--annee", min=2000, max=2100, help="L'année (défaut : l'année en cours)."),
) -> None:
    """Écrit le rapport annuel du DPO : registre, analyses d'impact, demandes et violations de
    l'année, plan d'actions, score ; pour une collectivité ou pour toute la structure."""
    if sortie.suffix not in (".odt", ".pdf"):
        fail(f"« {sortie.name} » : extension .odt ou .pdf attendue", 64)
    if (collectivite is None) == (structure is None):
        fail("donnez --collectivite ou --structure (l'un des deux)", 64)
    django_setup()
    from django.utils import timezone

    from terrinum.accounts import policy
    from terrinum.accounts.models import Organisation
    from terrinum.apps.rgpd import rapport, services

    user = _account(compte)
    year = annee or timezone.localdate().year
    try:
        if collectivite is not None:
            c = _collectivite(collectivite)
            if not policy.may_rgpd(user, c, "lire"):
                fail(f"« {collectivite} » n'est pas dans le périmètre de « {compte} »")
            found = rapport.for_collectivite(c, year)
        else:
            host = next((s for s in services.hosting_structures(user) if s.nom == structure), None)
            if host is None:
                fail(f"--structure : « {structure} » n'est pas une structure dont « {compte} » est DPO ou administrateur")
            if not Organisation.objects.filter(pk=host.pk).exists():
                fail(f"--structure : aucune structure « {structure} »")
            served = [c for c in services.readable(user) if c.organisation in host.collectivites_servies.all()]
            found = rapport.for_structure(host, served, year)
    except services.Refused as exc:
        fail(str(exc))
    sortie.write_bytes(rapport.as_pdf(found) if sortie.suffix == ".pdf" else rapport.as_odt(found))
    out.print(f"{found.titre} ({year}) : {sortie}", highlight=False)


@app.command("rappels")
def rappels(jours: int = typer.Option(7, "--jours", min=1, max=60, help="Horizon des demandes à rappeler.")) -> None:
    """Écrit à chaque collectivité ses échéances (demandes dues, violations à notifier) : à lancer chaque jour."""
    django_setup()
    from terrinum.apps.rgpd import services

    sent = services.send_reminders(days=jours)
    for c, recipients, n in sent:
        out.print(f"{c} : {n} échéance(s), à {', '.join(recipients)}", highlight=False)
    out.print(f"{len(sent)} courriel(s) de rappel envoyé(s).")


aipd_app = typer.Typer(help="Analyses d'impact (AIPD), au format de l'outil PIA de la CNIL.", no_args_is_help=True)
app.add_typer(aipd_app, name="aipd")


@aipd_app.command("importer")
def aipd_importer(
    fichier: Path = typer.Argument(..., exists=True, dir_okay=False, metavar="FICHIER.json", help="Un export JSON de l'outil PIA de la CNIL."),
    collectivite: str = typer.Option(..., "--collectivite", metavar="NOM", help="La collectivité qui reçoit l'analyse."),
    compte: str = COMPTE,
    activite: int = typer.Option(None, "--activite", metavar="ID", help="L'activité du registre que l'analyse porte."),
) -> None:
    """Importe une analyse d'impact faite dans l'outil PIA de la CNIL (réponses, mesures,
    évaluations, commentaires, avis), en une transaction ; la même analyse réimportée (même
    nom, même date de création) remplace la première."""
    django_setup()
    from terrinum.apps.rgpd import aipd, services
    from terrinum.apps.rgpd.models import Activite

    user, c = _account(compte), _collectivite(collectivite)
    linked = None
    if activite is not None:
        linked = Activite.objects.filter(pk=activite, collectivite=c).first()
        if linked is None:
            fail(f"--activite : aucune activité n° {activite} dans le registre de « {c} »")
    try:
        made = aipd.import_pia(c, aipd.read_pia(fichier.read_bytes(), fichier.name), user, fichier.name, linked)
    except services.Refused as exc:
        fail(str(exc))
    out.print(
        f"Analyse n° {made.pk} « {made.nom} » ({made.get_statut_display()}) importée dans « {c} » : {made.reponses.count()} réponse(s), "
        f"{made.mesures.count()} mesure(s), {made.evaluations.count()} évaluation(s), {made.commentaires.count()} commentaire(s).",
        highlight=False,
    )


@aipd_app.command("exporter")
def aipd_exporter(
    identifiant: int = typer.Argument(..., metavar="ID", help="Le numéro de l'analyse."),
    compte: str = COMPTE,
    sortie: Path = typer.Option(None, "--sortie", metavar="FICHIER.json", help="Sans elle : la sortie standard.", callback=output_file),
) -> None:
    """Exporte une analyse d'impact au format de l'outil PIA de la CNIL (à importer dans
    l'outil, ou ici)."""
    django_setup()
    from terrinum.accounts import policy
    from terrinum.apps.rgpd import aipd
    from terrinum.apps.rgpd.models import Aipd

    user = _account(compte)
    found = Aipd.objects.filter(pk=identifiant).select_related("collectivite__organisation").first()
    if found is None or not policy.may_rgpd(user, found, "lire"):
        fail(f"aucune analyse n° {identifiant} dans le périmètre de « {compte} »")
    body = json.dumps(aipd.export_pia(found), ensure_ascii=False, indent=2) + "\n"
    if sortie is None:
        sys.stdout.write(body)
        return
    sortie.write_text(body, encoding="utf-8")
    out.print(f"Analyse n° {found.pk} « {found.nom} » écrite dans {sortie}.", highlight=False)
