"""`terrinum pass-numerique`: programmes, carnets handed out, expiry, monthly settlement,
the ledger check and the purge (apps.pass_numerique.services does the work)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import Enum
from pathlib import Path

import typer

from terrinum.cli.common import EXIT_AMBIGUOUS, django_setup, err, fail, out, output_file, output_folder, require_reference, within

app = typer.Typer(help="Pass numérique : programmes, carnets, règlements, registre.", no_args_is_help=True)
programme_app = typer.Typer(help="Programmes des commanditaires.", no_args_is_help=True)
app.add_typer(programme_app, name="programme")
lieu_app = typer.Typer(help="Lieux qualifiés par les commanditaires.", no_args_is_help=True)
app.add_typer(lieu_app, name="lieu")
financeur_app = typer.Typer(help="Commanditaires : leur compte de paiement.", no_args_is_help=True)
app.add_typer(financeur_app, name="financeur")


class Output(str, Enum):
    texte = "texte"
    json = "json"


class Age(str, Enum):
    moins_25 = "moins-25"
    de_25_a_59 = "25-59"
    de_60_a_74 = "60-74"
    plus_75 = "75-plus"


def _organisation(nom: str, kind: str, role: str):
    from terrinum.accounts.models import Organisation

    found = Organisation.objects.filter(nom=nom, type=kind).first()
    if found is None:
        fail(f"aucune organisation « {nom} » de type {kind} ({role}) : créez-la avec « terrinum compte creer --type {kind} »")
    return found


@programme_app.command("creer")
def programme_creer(
    financeur: str = typer.Option(..., "--financeur", metavar="ORGANISATION", help="Le commanditaire (organisation de type financeur)."),
    territoire: str = typer.Option(..., "--territoire", help="Le territoire du programme (code, nom, niveau:code)."),
    carnets: int = typer.Option(..., "--carnets", min=1, max=100_000),
    cheques_par_carnet: int = typer.Option(10, "--cheques-par-carnet", help="5 ou 10."),
    valeur: int = typer.Option(10, "--valeur", min=1, max=100, help="Valeur faciale d'un chèque, en euros."),
    annee: int = typer.Option(None, "--annee", help="Année d'émission (défaut : l'année en cours) : valide au 31 décembre, accepté au 31 janvier."),
    prescripteur: list[str] = typer.Option(None, "--prescripteur", metavar="ORGANISATION", help="Un prescripteur qui remet les carnets ; répétable."),
    operateur: str = typer.Option(
        None, "--operateur", metavar="ORGANISATION", help="L'opérateur mandaté (qualifie, prépare les paiements, facture la commande et ses frais)."
    ),
    format: Output = typer.Option(Output.texte, "--format", help="json : le programme et tous ses codes, pour un opérateur."),
    pdf: Path = typer.Option(None, "--pdf", metavar="DOSSIER", help="Écrire les carnets à imprimer (un PDF, un QR code par chèque) dans ce dossier."),
) -> None:
    """Crée un programme et ses carnets de chèques (codes uniques, imprévisibles, avec un
    caractère de contrôle), en une transaction. Avec un opérateur, la commande est facturée
    aussitôt (valeur faciale et frais) si les identités de facturation sont renseignées."""
    django_setup()
    require_reference()
    from terrinum.accounts.models import Organisation
    from terrinum.apps.pass_numerique import codes, factures, services
    from terrinum.apps.pass_numerique.models import Programme

    funder = _organisation(financeur, Organisation.FINANCEUR, "commanditaire")
    prescribers = [_organisation(p, Organisation.PRESCRIPTEUR, "prescripteur") for p in prescripteur or []]
    operator = _organisation(operateur, Organisation.OPERATEUR, "opérateur") if operateur else None
    try:
        programme = services.create_programme(
            funder,
            within(territoire),
            carnets,
            cheques_par_carnet,
            valeur_centimes=valeur * 100,
            year=annee,
            prescripteurs=prescribers,
            operateur=operator,
        )
    except services.Refused as exc:
        fail(str(exc))
    if operator is not None:
        billed = factures.issue_due(programmes=Programme.objects.filter(pk=programme.pk))
        for doc in billed.documents:
            err.print(f"{doc.get_nature_display().capitalize()} n° {doc.numero} : {doc.get_objet_display()}, {_euros(doc.ttc_centimes)} TTC.")
        for why in billed.waiting:
            err.print(f"Factures en attente — {why} (« terrinum pass-numerique facturation », puis « terrinum pass-numerique factures »).")
    if pdf is not None:
        pdf.mkdir(parents=True, exist_ok=True)
        target = pdf / f"carnets-programme-{programme.pk}.pdf"
        target.write_bytes(services.carnets_pdf(programme))
        err.print(f"Carnets à imprimer : {target}")
    if format is Output.json:
        books = [
            {"numero": b.numero, "cheques": [codes.display(c) for c in b.cheques.order_by("id").values_list("code", flat=True)]}
            for b in programme.carnets_emis.order_by("numero").prefetch_related("cheques")
        ]
        payload = {
            "programme": programme.pk,
            "nom": programme.nom,
            "fin_validite": str(programme.fin_validite),
            "fin_tolerance": str(programme.fin_tolerance),
            "carnets": books,
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    out.print(
        f"Programme {programme.pk} « {programme.nom} » : {carnets} carnet(s) de {cheques_par_carnet} chèques de {valeur} €, "
        f"valables jusqu'au {programme.fin_validite:%d/%m/%Y} (acceptés jusqu'au {programme.fin_tolerance:%d/%m/%Y})."
    )


@lieu_app.command("qualifier")
def lieu_qualifier(
    lieux: list[str] = typer.Argument(None, metavar="LIEU...", help="L'identifiant d'un lieu dans le registre (colonne id du standard) ; plusieurs possibles."),
    programme: int = typer.Option(..., "--programme", metavar="N", help="Le numéro du programme."),
    fichier: Path = typer.Option(
        None,
        "--fichier",
        exists=True,
        dir_okay=False,
        metavar="FICHIER",
        help="Une liste de lieux : un identifiant par ligne (les lignes vides et # sont sautées).",
    ),
    refuser: bool = typer.Option(False, "--refuser", help="Refuser la qualification (motif obligatoire)."),
    suspendre: bool = typer.Option(False, "--suspendre", help="Suspendre la qualification (motif obligatoire)."),
    retirer: bool = typer.Option(False, "--retirer", help="Retirer la qualification (motif obligatoire)."),
    motif: str = typer.Option("", "--motif", help="Le motif de la décision."),
) -> None:
    """Qualifie des lieux pour un programme (ou refuse, suspend, retire leur qualification), au
    nom de l'administrateur de la plateforme : seul un lieu qualifié le jour de l'utilisation
    accepte les chèques du programme. Une liste de lieux (arguments ou --fichier) est décidée
    en une transaction : un lieu inconnu ou hors du territoire, et rien n'est inscrit. Chaque
    décision est inscrite au registre du lieu."""
    django_setup()
    from terrinum.apps.inclusion.models import Lieu
    from terrinum.apps.pass_numerique import services
    from terrinum.apps.pass_numerique.models import Programme, Qualification

    chosen = [d for d, flag in ((Qualification.REFUSE, refuser), (Qualification.SUSPENDU, suspendre), (Qualification.RETIRE, retirer)) if flag]
    if len(chosen) > 1:
        fail("choisissez une seule décision parmi --refuser, --suspendre, --retirer")
    decision = chosen[0] if chosen else Qualification.QUALIFIE
    wanted = list(lieux or [])
    if fichier is not None:
        wanted += [line.strip() for line in fichier.read_text(encoding="utf-8-sig").splitlines() if line.strip() and not line.startswith("#")]
    if not wanted:
        fail("donnez au moins un LIEU, ou une liste avec --fichier", 64)
    found = Programme.objects.filter(pk=programme).first()
    if found is None:
        fail(f"aucun programme n° {programme}")
    places = {p.identifiant: p for p in Lieu.objects.filter(identifiant__in=wanted)}
    unknown = [i for i in wanted if i not in places]
    if unknown:
        fail(f"lieu(x) inconnu(s) au registre : {', '.join(unknown[:10])} (la colonne id de « terrinum lieux export ») ; rien n'est inscrit")
    try:
        made = services.qualify_many([places[i] for i in wanted], found, services.PLATFORM, decision, motif)
    except services.Refused as exc:
        fail(str(exc))
    label = dict(Qualification.DECISIONS)[decision]
    if len(made) == 1:
        out.print(f"« {made[0].lieu.nom} » : {label} pour le programme « {found.nom} »" + (f" ({made[0].motif})" if made[0].motif else "") + ".")
    else:
        out.print(f"{len(made)} lieux : {label} pour le programme « {found.nom} »" + (f" ({motif})" if motif else "") + ".")


@programme_app.command("repartir")
def programme_repartir(
    programme: int = typer.Argument(..., metavar="N", help="Le numéro du programme."),
    prescripteur: str = typer.Option(..., "--prescripteur", metavar="ORGANISATION", help="Le prescripteur."),
    carnets: int = typer.Option(..., "--carnets", help="Carnets à lui donner (négatif pour en reprendre)."),
) -> None:
    """Donne des carnets d'un programme à un prescripteur (ou lui en reprend) : dès qu'un
    programme répartit ses carnets, chaque prescripteur ne remet que ceux de son stock."""
    django_setup()
    from terrinum.accounts.models import Organisation
    from terrinum.apps.pass_numerique import campagne, services
    from terrinum.apps.pass_numerique.models import Programme

    found = Programme.objects.filter(pk=programme).first()
    if found is None:
        fail(f"aucun programme n° {programme}")
    org = _organisation(prescripteur, Organisation.PRESCRIPTEUR, "le prescripteur")
    try:
        campagne.allocate(found, org, carnets, services.PLATFORM)
    except services.Refused as exc:
        fail(str(exc))
    stock = next(s for s in campagne.stocks(found) if s.prescripteur.pk == org.pk)
    out.print(f"« {org.nom} » : {stock.recus} carnet(s) reçu(s), {stock.remis} remis, {stock.restants} restant(s).")


@programme_app.command("rapport")
def programme_rapport(
    programme: int = typer.Argument(..., metavar="N", help="Le numéro du programme."),
    sortie: Path = typer.Option(..., "--sortie", metavar="FICHIER", help="Le rapport : .pdf ou .ods selon l'extension.", callback=output_file),
) -> None:
    """Écrit le rapport de campagne d'un programme : chèques commandés, remis, utilisés,
    réglés, recrédités, par mois, prescripteur, lieu, commune et tranche d'âge des
    bénéficiaires, et la portée pour 1 000 personnes à risque."""
    if sortie.suffix not in (".pdf", ".ods"):
        fail(f"« {sortie.name} » : extension .pdf ou .ods attendue", 64)
    django_setup()
    from terrinum.apps.pass_numerique import rapport
    from terrinum.apps.pass_numerique.models import Programme

    found = Programme.objects.filter(pk=programme).first()
    if found is None:
        fail(f"aucun programme n° {programme}")
    report = rapport.campaign(found)
    sortie.write_bytes(rapport.as_pdf(report) if sortie.suffix == ".pdf" else rapport.as_ods(report))
    out.print(f"Rapport de campagne du programme n° {found.pk} : {sortie}")


@app.command("rappels")
def rappels(date: str = typer.Option(None, "--date", metavar="AAAA-MM-JJ", help="Date du jour (défaut : aujourd'hui).")) -> None:
    """Prévient les commanditaires, les prescripteurs et les lieux qualifiés 30 puis 15 jours
    avant que les chèques d'un programme ne soient plus acceptés (un courriel par programme et
    par étape ; à lancer chaque jour)."""
    django_setup()
    from terrinum.apps.pass_numerique import campagne

    sent = campagne.send_reminders(_date(date))
    for programme, step, recipients in sent:
        out.print(f"« {programme.nom} » : rappel à J-{step}, {recipients} destinataire(s).")
    out.print(f"{len(sent)} rappel(s) envoyé(s).")


@financeur_app.command("compte")
def financeur_compte(
    financeur: str = typer.Option(..., "--financeur", metavar="ORGANISATION", help="Le commanditaire."),
    titulaire: str = typer.Option(..., "--titulaire", help="Le titulaire du compte (70 caractères au plus)."),
    iban: str = typer.Option(..., "--iban", help="L'IBAN du compte (zone SEPA)."),
    bic: str = typer.Option(..., "--bic", help="Le BIC de la banque."),
) -> None:
    """Enregistre le compte d'où le commanditaire paie les lieux : le débiteur de ses fichiers
    de virements SEPA. IBAN et BIC vérifiés (clé de contrôle, zone SEPA, banque)."""
    django_setup()
    from terrinum.accounts.models import Organisation
    from terrinum.apps.pass_numerique import dossiers, services

    found = _organisation(financeur, Organisation.FINANCEUR, "le commanditaire")
    try:
        account = dossiers.save_funder_account(found, services.PLATFORM, titulaire, iban, bic)
    except services.Refused as exc:
        fail(str(exc))
    out.print(f"Compte de paiement de « {found.nom} » : {account.iban[:4]} … {account.iban[-4:]} ({account.bic}).")


@app.command("facturation")
def facturation(
    organisation: str = typer.Option(..., "--organisation", metavar="ORGANISATION", help="L'opérateur ou le commanditaire."),
    raison_sociale: str = typer.Option(..., "--raison-sociale"),
    siret: str = typer.Option(..., "--siret"),
    adresse: str = typer.Option(..., "--adresse"),
    code_postal: str = typer.Option(..., "--code-postal"),
    ville: str = typer.Option(..., "--ville"),
    tva: str = typer.Option("", "--tva", help="Numéro de TVA intracommunautaire (obligatoire pour un opérateur)."),
) -> None:
    """Enregistre l'identité de facturation d'un opérateur ou d'un commanditaire, portée par
    les factures et avoirs (SIRET et numéro de TVA vérifiés)."""
    django_setup()
    from terrinum.accounts.models import Organisation
    from terrinum.apps.pass_numerique import factures, services

    found = Organisation.objects.filter(nom=organisation, type__in=(Organisation.OPERATEUR, Organisation.FINANCEUR)).first()
    if found is None:
        fail(f"aucun opérateur ni commanditaire « {organisation} »")
    try:
        ident = factures.save_identity(
            found, services.PLATFORM, raison_sociale=raison_sociale, siret=siret, tva=tva, adresse=adresse, code_postal=code_postal, ville=ville
        )
    except services.Refused as exc:
        fail(str(exc))
    out.print(f"Identité de facturation de « {found.nom} » : {ident.raison_sociale}, SIRET {ident.siret}.")


@app.command("factures")
def factures_cmd(
    date: str = typer.Option(None, "--date", metavar="AAAA-MM-JJ", help="Date d'émission (défaut : aujourd'hui)."),
    sortie: Path = typer.Option(None, "--sortie", metavar="DOSSIER", help="Écrire les PDF Factur-X émis dans ce dossier.", callback=output_folder),
    verifier: bool = typer.Option(False, "--verifier", help="Vérifier seulement que la numérotation de chaque émetteur est sans trou."),
) -> None:
    """Émet les factures et avoirs dus des programmes opérés : à la commande, la valeur faciale
    des chèques et les frais de l'opérateur ; après la date limite d'acceptation, l'avoir des
    chèques recrédités. Numérotés sans trou par émetteur et par année ; relancé, n'émet rien
    de plus. À lancer chaque jour, après « expirer »."""
    django_setup()
    from terrinum.apps.pass_numerique import factures, services
    from terrinum.apps.pass_numerique.models import Compteur

    if verifier:
        holes = [(c, factures.gaps(c.emetteur, c.annee)) for c in Compteur.objects.select_related("emetteur").order_by("emetteur__nom", "annee")]
        for counter, missing in holes:
            if missing:
                err.print(f"« {counter.emetteur.nom} » {counter.annee} : numéros manquants {', '.join(map(str, missing))}")
        if any(m for _, m in holes):
            raise typer.Exit(1)
        out.print(f"Numérotation sans trou : {len(holes)} série(s) vérifiée(s).")
        return
    try:
        issued = factures.issue_due(_date(date))
    except services.Refused as exc:
        fail(str(exc))
    for doc in issued.documents:
        out.print(
            f"{doc.get_nature_display().capitalize()} n° {doc.numero} ({doc.emetteur.nom} → {doc.client.nom}) : {doc.get_objet_display()}, {_euros(doc.ttc_centimes)} TTC."
        )
        if sortie is not None:
            (sortie / f"{doc.nature}-{doc.numero}.pdf").write_bytes(bytes(doc.pdf))
    for why in issued.waiting:
        err.print(f"En attente — {why}")
    out.print(f"{len(issued.documents)} document(s) émis.")


@app.command("attribuer")
def attribuer(
    code: str = typer.Argument(..., metavar="CODE", help="Le code d'un chèque du carnet remis."),
    prescripteur: str = typer.Option(..., "--prescripteur", metavar="ORGANISATION"),
    age: Age = typer.Option(..., "--age", help="Tranche d'âge du bénéficiaire."),
    commune: str = typer.Option(..., "--commune", help="Commune du bénéficiaire : nom, code postal ou code INSEE."),
    motif: str = typer.Option(..., "--motif", help="Pourquoi ce carnet (ex. « démarches en ligne »)."),
    profil: str = typer.Option("", "--profil", help="Profil de besoins (diagnostic des besoins)."),
) -> None:
    """Remet un carnet à une personne, sans son nom : tranche d'âge, commune, motif. Les
    chèques du carnet passent « attribué »."""
    django_setup()
    from terrinum.accounts.models import Organisation
    from terrinum.apps.pass_numerique import services
    from terrinum.territories import services as territories

    org = _organisation(prescripteur, Organisation.PRESCRIPTEUR, "prescripteur")
    found = territories.resolve_commune(commune)
    if found.statut == "ambigu":
        listed = "\n".join(f"  {c.code}  {c.nom} ({c.departement_code})" for c in found.candidats)
        fail(f"{found.message}\n{listed}\nRelancez avec --commune CODE_INSEE.", EXIT_AMBIGUOUS)
    if found.statut != "trouve":
        fail(found.message)
    try:
        carnet = services.carnet_of(code)
        services.attribute(carnet, org, tranche_age=age.value, commune_code=found.territoire.code, motif=motif, profil=profil)
    except services.Refused as exc:
        fail(str(exc))
    out.print(f"Carnet {carnet.numero} du programme « {carnet.programme.nom} » remis ({carnet.cheques.count()} chèques).")


@app.command("expirer")
def expirer(date: str = typer.Option(None, "--date", metavar="AAAA-MM-JJ", help="Date du jour (défaut : aujourd'hui).")) -> None:
    """Passe « expiré » les chèques non utilisés des programmes dont la date limite
    d'acceptation est passée (recrédités au commanditaire) ; relancé, ne change rien."""
    django_setup()
    from terrinum.apps.pass_numerique import services

    today = _date(date)
    done = services.expire(today)
    out.print(f"{sum(done.values())} chèque(s) expiré(s) dans {len(done)} programme(s).")


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"date « {text} » invalide : AAAA-MM-JJ", 64)


@app.command("reglement")
def reglement(
    mois: str = typer.Option(..., "--mois", metavar="AAAA-MM", help="Un mois terminé."),
    out_dir: Path = typer.Option(None, "--out", metavar="DOSSIER", help="Écrire le relevé de chaque lieu (CSV et PDF) dans ce dossier."),
    virements: Path = typer.Option(
        None,
        "--virements",
        metavar="FICHIER.xml",
        callback=output_file,
        help="Écrire les virements SEPA (pain.001.001.03) aux lieux privés, un fichier par commanditaire.",
    ),
    mandats: Path = typer.Option(
        None,
        "--mandats",
        metavar="FICHIER.csv|.ods",
        callback=output_file,
        help="Écrire les mandats des lieux publics pour le comptable public, un fichier par commanditaire.",
    ),
    financeur: str = typer.Option(None, "--financeur", metavar="ORGANISATION", help="Seulement ce commanditaire (virements et mandats)."),
    execution: str = typer.Option(None, "--execution", metavar="AAAA-MM-JJ", help="Date d'exécution demandée des virements (défaut : aujourd'hui)."),
) -> None:
    """Établit les règlements d'un mois terminé : pour chaque lieu, les chèques utilisés ce
    mois-là, payés. Une transaction ; relancé pour le même mois, ne change rien. Puis, sur
    demande, les ordres de paiement de chaque commanditaire : virements SEPA aux lieux privés,
    mandats des lieux publics."""
    if mandats is not None and mandats.suffix not in (".csv", ".ods"):
        fail("--mandats : un fichier .csv ou .ods", 64)
    django_setup()
    from terrinum.accounts.models import Organisation
    from terrinum.apps.pass_numerique import paiements, services
    from terrinum.apps.pass_numerique.models import Reglement

    when = _date(execution) if execution else None
    funders = [_organisation(financeur, Organisation.FINANCEUR, "le commanditaire")] if financeur else None
    try:
        made = services.settle(mois)
    except services.Refused as exc:
        fail(str(exc))
    statements = Reglement.objects.filter(mois=mois).select_related("lieu")
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for r in statements:
            (out_dir / f"releve-{mois}-lieu-{r.lieu_id}.csv").write_text(services.statement_csv(r), encoding="utf-8")
            (out_dir / f"releve-{mois}-lieu-{r.lieu_id}.pdf").write_bytes(services.statement_pdf(r))
    total = services.amounts(statements)
    out.print(f"{len(made)} règlement(s) établi(s) pour {mois} ; {statements.count()} relevé(s) pour ce mois, {_euros(total)} €.")
    if virements is None and mandats is None:
        return
    if funders is None:
        ids = sorted({line.financeur_id for line in paiements.lines(mois)})
        funders = list(Organisation.objects.filter(pk__in=ids).order_by("pk"))
    several = len(funders) > 1
    for funder in funders:
        if virements is not None:
            target = virements.with_name(f"{virements.stem}-{funder.pk}{virements.suffix}") if several else virements
            try:
                done = paiements.sepa_transfers(mois, funder, when)
            except services.Refused as exc:
                err.print(f"{funder.nom} : {exc}")
                continue
            target.write_bytes(done.xml)
            out.print(f"{funder.nom} : {done.count} virement(s), {_euros(done.centimes)} €, dans {target}.")
            for line in done.unpaid:
                err.print(f"  non payé : {line.lieu_nom} ({_euros(line.centimes)} €) — son dossier (SIRET, IBAN, BIC) n'est pas complet")
        if mandats is not None:
            target = mandats.with_name(f"{mandats.stem}-{funder.pk}{mandats.suffix}") if several else mandats
            rows = paiements.mandate_rows(mois, funder)
            target.write_bytes(paiements.mandates(mois, funder, mandats.suffix[1:]))
            out.print(f"{funder.nom} : {len(rows)} mandat(s) de lieux publics dans {target}.")


def _euros(centimes: int) -> str:
    return f"{centimes / 100:,.2f}".replace(",", "\u202f").replace(".", ",")


@app.command("verifier")
def verifier() -> None:
    """Rejoue le registre de chaque chèque et vérifie qu'il mène à son état, que chaque chèque
    remboursé est au relevé de son lieu pour son mois et que relevés et lignes de relevé sont
    la somme de leurs chèques (code 1 sinon)."""
    django_setup()
    from terrinum.apps.pass_numerique import services

    problems = services.check_ledger()
    for p in problems[:50]:
        err.print(p)
    if problems:
        fail(f"{len(problems)} désaccord(s) entre les chèques, leur registre et leurs relevés.")
    out.print("Registre, états des chèques et relevés concordent.")


@app.command("purger")
def purger(
    jours: int = typer.Option(None, "--jours", min=1, help="Durée de conservation après la fin d'un programme (défaut : 3 ans)."),
) -> None:
    """Supprime les bénéficiaires des programmes finis depuis plus que la durée de
    conservation (docs/pass-numerique.md) ; les carnets restent, anonymes."""
    django_setup()
    from terrinum.apps.pass_numerique import services

    n = services.purge_beneficiaries(days=jours or services.RETENTION_DAYS)
    out.print(f"{n} bénéficiaire(s) supprimé(s).")
