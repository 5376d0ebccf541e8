"""RGPD operations, each one transaction, each checked against the policy by its caller's
account (`who`): enrolling a collectivité, duplicating a model activity, the register's
workflow, rights requests, breaches, the compliance score and the dashboard across
collectivités, exports and the JSON import. Rules: docs/rgpd.md."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from terrinum.accounts import policy
from terrinum.accounts.models import Organisation
from terrinum.apps.rgpd import modeles
from terrinum.apps.rgpd.models import (
    CATEGORIES,
    CLAUSES,
    DPIA_CRITERIA,
    DPIA_THRESHOLD,
    LEGAL_BASES,
    MEASURES,
    OUTCOMES,
    ROLES,
    Action,
    Activite,
    Collectivite,
    Demande,
    Donnee,
    ModeleActivite,
    SousTraitant,
    Trace,
    Violation,
)


class Refused(Exception):
    """An operation refused, its reason in French; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def trace(c: Collectivite, who, objet: str, obj, libelle: str, action: str, avant: dict | None = None, apres: dict | None = None) -> None:
    """One line of the register's journal (models.Trace); nothing when nothing changed."""
    if avant is not None and apres is not None and avant == apres:
        return
    Trace.objects.create(
        collectivite=c,
        par=who if getattr(who, "pk", None) else None,
        objet=objet,
        objet_id=getattr(obj, "pk", None),
        libelle=libelle[:300],
        action=action,
        avant=avant,
        apres=apres,
    )


def activity_state(pk: int | None) -> dict | None:
    """An activity as the journal records it (its fields, status and data categories)."""
    a = Activite.objects.filter(pk=pk).prefetch_related("donnees").first() if pk else None
    if a is None:
        return None
    state = {f: getattr(a, f) for f in ACTIVITY_FIELDS}
    state["statut"] = a.statut
    state["donnees"] = [f"{d.categorie} : {d.duree} ({d.sort_final}){' sensible' if d.sensible else ''}{' NIR' if d.nir else ''}" for d in a.donnees.all()]
    return state


def require(who, obj, action: str) -> None:
    if not policy.may_rgpd(who, obj, action):
        raise Refused("cette collectivité n'est pas dans votre périmètre" if action != "verifier" else "seul le DPO vérifie une activité", 403)


def readable(who):
    """The collectivités whose registers `who` may read."""
    allowed = policy.rgpd_collectivites(who, "lire")
    found = Collectivite.objects.select_related("organisation")
    return found if allowed is None else found.filter(organisation_id__in=allowed)


def readable_one(who, pk: int) -> Collectivite:
    """One collectivité of `who`'s scope; Refused(404) otherwise, as for an id that does not
    exist (ids are not a way in)."""
    try:
        return readable(who).get(pk=pk)
    except Collectivite.DoesNotExist:
        raise Refused("collectivité introuvable", 404) from None


# --- collectivités ------------------------------------------------------------------------


def enrol(
    structure: Organisation, organisation: Organisation, categorie: str, insee: str = "", departement: str = "", dpo_designation: str = ""
) -> Collectivite:
    """Give a collectivité its RGPD file and put it among those the structure serves."""
    if structure.type != Organisation.MUTUALISATION:
        raise Refused(f"« {structure.nom} » n'est pas une structure de mutualisation")
    if categorie not in dict(CATEGORIES):
        raise Refused(f"catégorie inconnue : {categorie} (attendu : {', '.join(dict(CATEGORIES))})")
    with transaction.atomic():
        found, _ = Collectivite.objects.update_or_create(
            organisation=organisation, defaults={"categorie": categorie, "insee": insee, "departement": departement, "dpo_designation_cnil": dpo_designation}
        )
        structure.collectivites_servies.add(organisation)
    return found


def hosting_structures(user) -> list[Organisation]:
    """The mutualisation structures whose served collectivités this account manages (its DPO
    or admin role there), or every one for the platform's administrator."""
    from terrinum.accounts.models import Membership

    if user is None or not getattr(user, "is_authenticated", False):
        return []
    found = Organisation.objects.filter(type=Organisation.MUTUALISATION)
    if not user.is_superuser:
        found = found.filter(memberships__user=user, memberships__role__in=(Membership.DPO, Membership.ADMIN))
    return list(found.distinct().order_by("nom"))


def adhere(structure: Organisation, nom: str, categorie: str, territory=None, dpo_designation: str = "", who=None) -> Collectivite:
    """A collectivité joins a mutualisation structure, in one transaction: its organisation
    (created if needed, of type collectivité), its commune or EPCI in the reference when
    given, its RGPD file. `who` (None: the platform's administrator, from the command line)
    must be the structure's DPO or admin."""
    if who is not None and structure not in hosting_structures(who):
        raise Refused("seul le DPO ou l'administrateur de la structure y fait adhérer une collectivité", 403)
    nom = (nom or "").strip()
    if not nom:
        raise Refused("le nom de la collectivité est obligatoire")
    if territory is not None and territory.niveau not in ("commune", "epci"):
        raise Refused(f"une commune ou un EPCI (reçu : {territory.niveau_label.lower()} {territory.nom})")
    with transaction.atomic():
        org, _ = Organisation.objects.get_or_create(nom=nom[:200], type=Organisation.COLLECTIVITE)
        insee, departement = "", ""
        if territory is not None:
            insee, departement = territory.code, territory.departement_code or ""
            org.territoire_niveau, org.territoire_code = territory.niveau, territory.code
            org.save(update_fields=["territoire_niveau", "territoire_code"])
        return enrol(structure, org, categorie, insee, departement, dpo_designation)


def set_dpo(
    c: Collectivite, who, nom: str, designation: str, responsable: str | None = None, contact: str | None = None, dpo_contact: str | None = None
) -> Collectivite:
    """Name the collectivité's DPO (empty: the shared DPO of its structure) and its CNIL
    designation number; and, when given, the controller and the contact details the register
    opens with (art. 30.1.a)."""
    require(who, c, "modifier")
    watched = ("dpo_nom", "dpo_designation_cnil", "responsable", "contact", "dpo_contact")
    before = {f: getattr(c, f) for f in watched}
    c.dpo_nom, c.dpo_designation_cnil = nom.strip()[:200], designation.strip()[:40]
    fields = ["dpo_nom", "dpo_designation_cnil"]
    for name, value, size in (("responsable", responsable, 200), ("contact", contact, 1000), ("dpo_contact", dpo_contact, 1000)):
        if value is not None:
            setattr(c, name, value.strip()[:size])
            fields.append(name)
    with transaction.atomic():
        c.save(update_fields=fields)
        trace(c, who, "collectivite", c, str(c), "responsable et DPO", before, {f: getattr(c, f) for f in watched})
    return c


def dpo_of(c: Collectivite) -> str:
    """Its DPO: the one named, else the shared DPO of the structure that serves it."""
    if c.dpo_nom:
        return c.dpo_nom
    structure = c.organisation.structures.filter(type=Organisation.MUTUALISATION).first()
    return f"DPO mutualisé — {structure.nom}" if structure else "non désigné"


# --- the register -------------------------------------------------------------------------


def dpia_required(criteres: list[str], donnees) -> bool:
    """Two criteria of the CNIL at least (sensitive data and the NIR count as one)."""
    criteria = set(criteres)
    if any(d.sensible or d.nir for d in donnees):
        criteria.add("donnees-sensibles")
    return len(criteria) >= DPIA_THRESHOLD


def _check_keys(field: str, values, allowed) -> None:
    keys = dict(allowed)
    wrong = [v for v in values if v not in keys]
    if wrong:
        raise Refused(f"{field} : valeur(s) inconnue(s) {', '.join(map(str, wrong))} (attendu : {', '.join(keys)})")


def _copy(model: modeles.Model, c: Collectivite) -> Activite:
    return Activite(
        collectivite=c,
        nom=model.nom,
        finalites=model.finalites,
        base_legale=model.base_legale,
        justification=modeles.justification_of(model) if model.key in modeles.BY_KEY else model.justification,
        personnes=list(model.personnes),
        destinataires=list(model.destinataires),
        mesures=list(model.mesures),
        criteres_aipd=list(model.criteres_aipd),
        aipd_requise=dpia_required(model.criteres_aipd, model.donnees),
        aipd_statut="a-faire" if dpia_required(model.criteres_aipd, model.donnees) else "non-requise",
        source=modeles.ORIGINS.get(model.key, "") if model.key in modeles.BY_KEY else model.origine,
        modele=model.key,
    )


MODEL_FIELDS = (
    "finalites",
    "base_legale",
    "justification",
    "personnes",
    "destinataires",
    "mesures",
    "criteres_aipd",
    "source",
    "transferts",
    "garanties",
    "logiciels",
)


def activity_as_model(a: Activite, key: str) -> modeles.Model:
    """An activity of a register as a model to copy (its text and data categories)."""
    return modeles.Model(
        key,
        a.nom,
        a.finalites,
        a.base_legale,
        a.justification,
        list(a.personnes),
        [modeles.Data(d.categorie, d.duree, d.sort_final, d.sensible, d.nir) for d in a.donnees.all()],
        list(a.destinataires),
        "",
        list(a.mesures),
        list(a.criteres_aipd),
        origine=a.source,
    )


def copy_activity(a: Activite, collectivites: list[Collectivite], who) -> dict:
    """Copy one register's activity into other registers (one transaction, the same report as
    a model's duplication)."""
    require(who, a, "lire")
    return duplicate(activity_as_model(a, f"activite-{a.pk}"), [c for c in collectivites if c.pk != a.collectivite_id], who)


def _own_model(key: str, who) -> modeles.Model | None:
    """A structure's own model (key « s<id> »), for its DPO or administrator."""
    if not key.startswith("s") or not key[1:].isdigit():
        return None
    found = ModeleActivite.objects.filter(pk=int(key[1:]), structure__in=hosting_structures(who)).first()
    if found is None:
        return None
    c = found.contenu
    return modeles.Model(
        key, found.nom, c["finalites"], c["base_legale"], c["justification"], c["personnes"],
        [modeles.Data(**d) for d in c["donnees"]], c["destinataires"], "", c["mesures"], c["criteres_aipd"], origine=c["source"],
    )  # fmt: skip


def save_as_model(a: Activite, structure: Organisation, who) -> ModeleActivite:
    """An activity of a register becomes a model of the structure (its DPO or administrator);
    the same name with another text is a new version, the same text changes nothing."""
    if structure not in hosting_structures(who):
        raise Refused("seul le DPO ou un administrateur de la structure écrit ses modèles", 403)
    require(who, a, "lire")
    content = {f: getattr(a, f) for f in MODEL_FIELDS} | {
        "donnees": [{"categorie": d.categorie, "duree": d.duree, "sort_final": d.sort_final, "sensible": d.sensible, "nir": d.nir} for d in a.donnees.all()]
    }
    with transaction.atomic():
        last = ModeleActivite.objects.select_for_update().filter(structure=structure, nom=a.nom).order_by("-version").first()
        if last is not None and last.contenu == content:
            return last
        return ModeleActivite.objects.create(structure=structure, nom=a.nom, version=(last.version + 1) if last else 1, contenu=content, cree_par=who)


def own_models(who) -> list:
    """The latest version of each model of the structures this account runs."""
    latest = {}
    for m in ModeleActivite.objects.filter(structure__in=hosting_structures(who)).select_related("structure"):
        latest.setdefault((m.structure_id, m.nom), m)
    return list(latest.values())


def duplicate(model_key, collectivites: list[Collectivite], who) -> dict:
    """Copy a model activity into each collectivité's register, in one transaction; a
    collectivité that already has an activity of that name keeps it (skipped), one of another
    kind than the model's (modeles.Model.categories) is skipped and counted. Each copy is
    then the collectivité's own. `model_key`: a packaged model's key, a structure's own model
    (« s<id> »), or a modeles.Model (an activity copied to other registers)."""
    model = model_key if isinstance(model_key, modeles.Model) else (modeles.BY_KEY.get(model_key) or _own_model(model_key, who))
    if model is None:
        raise Refused(f"modèle inconnu : {model_key} (attendu : {', '.join(modeles.BY_KEY)} ou un modèle de votre structure)", 404)
    allowed = policy.rgpd_collectivites(who, "modifier")
    outside = [c for c in collectivites if allowed is not None and c.organisation_id not in allowed]
    if outside:
        raise Refused(f"hors de votre périmètre : {', '.join(str(c) for c in outside[:5])}", 403)
    others = [c for c in collectivites if model.categories and c.categorie not in model.categories]
    collectivites = [c for c in collectivites if c not in others]
    with transaction.atomic():
        having = set(Activite.objects.filter(collectivite__in=collectivites, nom=model.nom).values_list("collectivite_id", flat=True))
        todo = [c for c in collectivites if c.pk not in having]
        made = Activite.objects.bulk_create([_copy(model, c) for c in todo], batch_size=500)
        Donnee.objects.bulk_create(
            [
                Donnee(activite=a, categorie=d.categorie, sensible=d.sensible, nir=d.nir, duree=d.duree, sort_final=d.sort_final)
                for a in made
                for d in model.donnees
            ],
            batch_size=2000,
        )
        Trace.objects.bulk_create(
            [
                Trace(
                    collectivite_id=a.collectivite_id,
                    par=who if getattr(who, "pk", None) else None,
                    objet="activite",
                    objet_id=a.pk,
                    libelle=a.nom,
                    action=f"copiée du modèle « {model.key} »"[:100],
                )
                for a in made
            ],
            batch_size=2000,
        )
    out = {"creees": len(made), "deja_presentes": len(having)}
    if others:  # a model of another kind of collectivité (the CCAS's social action to a commune)
        out["autre_categorie"] = len(others)
    return out


def warnings(activite: Activite) -> list[str]:
    """What the DPO should look at again in an activity, without refusing it."""
    out = []
    if activite.base_legale == "interet-legitime":
        out.append(
            "L'intérêt légitime (art. 6.1.f) ne peut pas fonder un traitement qu'une autorité publique met en œuvre dans "
            "l'exécution de ses missions (art. 6.1, dernier alinéa) : une collectivité s'appuie en général sur la mission "
            "d'intérêt public (6.1.e) ou une obligation légale (6.1.c)."
        )
    return out


def save_activity(activite: Activite, who, donnees: list[dict] | None = None) -> Activite:
    """Save an activity (new or changed) and, when given, its data categories. Every list is
    checked against its keys; the DPIA flag is recomputed; a verified activity that changes
    goes back to "terminé" (the DPO's verification was of the old text)."""
    require(who, activite, "modifier")
    _check_keys("base légale", [activite.base_legale], LEGAL_BASES)
    _check_keys("rôle", [activite.role], ROLES)
    _check_keys("mesures de sécurité", activite.mesures, MEASURES)
    _check_keys("critères d'AIPD", activite.criteres_aipd, DPIA_CRITERIA)
    rows = None
    if donnees is not None:
        rows = []
        for i, d in enumerate(donnees, 1):
            if not str(d.get("categorie", "")).strip() or not str(d.get("duree", "")).strip():
                raise Refused(f"catégorie de données n° {i} : la catégorie et la durée de conservation sont obligatoires")
            _check_keys(f"catégorie de données n° {i}, sort final", [d.get("sort_final", "destruction")], OUTCOMES)
            rows.append(
                Donnee(
                    categorie=d["categorie"].strip(),
                    duree=d["duree"].strip(),
                    sensible=bool(d.get("sensible")),
                    nir=bool(d.get("nir")),
                    sort_final=d.get("sort_final", "destruction"),
                )
            )
    with transaction.atomic():
        before = activity_state(activite.pk)
        if activite.pk and activite.statut == Activite.VERIFIE:
            activite.statut = Activite.TERMINE
        if Activite.objects.filter(collectivite=activite.collectivite, nom=activite.nom).exclude(pk=activite.pk).exists():
            raise Refused(f"le registre a déjà une activité « {activite.nom} »", 409)
        current = rows if rows is not None else (list(activite.donnees.all()) if activite.pk else [])
        activite.aipd_requise = dpia_required(activite.criteres_aipd, current)
        if activite.aipd_requise and activite.aipd_statut == "non-requise":
            activite.aipd_statut = "a-faire"
        activite.save()
        if rows is not None:
            activite.donnees.all().delete()
            for row in rows:
                row.activite = activite
            Donnee.objects.bulk_create(rows)
        trace(activite.collectivite, who, "activite", activite, activite.nom, "créée" if before is None else "modifiée", before, activity_state(activite.pk))
    return activite


def set_status(activite: Activite, statut: str, who, recommandations: str = "") -> Activite:
    """brouillon -> terminé (who keeps the register) -> vérifié (the DPO only, with his
    recommendations); back to brouillon at any time."""
    if statut == Activite.VERIFIE:
        require(who, activite, "verifier")
        if activite.statut != Activite.TERMINE:
            raise Refused("seule une activité « terminée » se vérifie", 409)
        activite.verifie_par, activite.verifie_le, activite.recommandations = who, timezone.now(), recommandations
    elif statut in (Activite.TERMINE, Activite.BROUILLON):
        require(who, activite, "modifier")
        activite.verifie_par = activite.verifie_le = None
    else:
        raise Refused(f"statut inconnu : {statut}")
    before = activite.statut
    activite.statut = statut
    with transaction.atomic():
        activite.save()
        trace(
            activite.collectivite,
            who,
            "activite",
            activite,
            activite.nom,
            "statut",
            {"statut": before},
            {"statut": statut, "recommandations": activite.recommandations},
        )
    return activite


# --- rights requests and breaches ---------------------------------------------------------


def record_request(c: Collectivite, who, droit: str, recue_le: dt.datetime, reference: str = "", identite_verifiee: bool = False) -> Demande:
    require(who, c, "modifier")
    _check_keys("droit", [droit], Demande.RIGHTS)
    if recue_le > timezone.now() + dt.timedelta(minutes=5):
        raise Refused("la date de réception est dans le futur")
    with transaction.atomic():
        d = Demande.objects.create(collectivite=c, droit=droit, recue_le=recue_le, reference=reference, identite_verifiee=identite_verifiee)
        trace(c, who, "demande", d, d.get_droit_display(), "enregistrée", None, {"recue_le": recue_le.isoformat(), "reference": reference})
    return d


def extend_request(d: Demande, who, told: dt.datetime) -> Demande:
    """Extend by two months: only when the person is told within the first month (art. 12.3)."""
    from terrinum.apps.rgpd import echeances

    require(who, d, "modifier")
    if not echeances.extension_allowed(d.recue_le, told, d.collectivite.departement):
        limit = echeances.request_deadline(d.recue_le, departement=d.collectivite.departement).due
        raise Refused(f"prolongation impossible : la personne devait en être informée au plus tard le {limit:%d/%m/%Y}", 409)
    d.prolongation_informee_le = told
    with transaction.atomic():
        d.save()
        trace(d.collectivite, who, "demande", d, d.get_droit_display(), "prolongée", None, {"informee_le": told.isoformat()})
    return d


def answer_request(d: Demande, who, when: dt.datetime | None = None, statut: str = Demande.REPONDUE, motif: str = "") -> Demande:
    """Close a request: answered, or not acted on (refused, inadmissible, manifestly unfounded
    or excessive), which needs its reasons — the person is told them, with the possibility of
    a complaint to the CNIL and of a judicial remedy, within the same deadline (art. 12.4)."""
    require(who, d, "modifier")
    if statut not in Demande.CLOSED:
        raise Refused(f"suite inconnue : {statut} ({', '.join(label for key, label in Demande.STATES if key in Demande.CLOSED)})")
    motif = (motif or "").strip()
    if statut != Demande.REPONDUE and not motif:
        raise Refused("une demande à laquelle il n'est pas donné suite doit en donner les raisons à la personne (art. 12.4)")
    if d.statut != Demande.EN_COURS:
        raise Refused(f"cette demande est déjà close ({d.get_statut_display().lower()})", 409)
    d.statut, d.repondue_le, d.motif = statut, when or timezone.now(), motif
    with transaction.atomic():
        d.save()
        trace(d.collectivite, who, "demande", d, d.get_droit_display(), "close", {"statut": Demande.EN_COURS}, {"statut": statut, "motif": motif})
    return d


DUPLICATE_HOURS = 24  # a breach known this close to another of the same nature may be the same


def record_breach(c: Collectivite, who, activites=(), **fields) -> Violation:
    """Record a breach (art. 33.5), with the processing it concerns (activities of the same
    register). A breach of the same nature known within DUPLICATE_HOURS of another is
    recorded and flagged as a possible duplicate (`doublon_de`), for the DPO to check."""
    require(who, c, "modifier")
    _check_keys("nature", fields.get("natures", []), Violation.NATURES)
    _check_keys("risque", [fields.get("risque")], Violation.RISKS)
    if not fields.get("natures"):
        raise Refused("nature : au moins une (confidentialité, intégrité, disponibilité)")
    concerned = list(activites)
    if any(a.collectivite_id != c.pk for a in concerned):
        raise Refused("traitements concernés : des activités du registre de cette collectivité seulement")
    known = fields["connue_le"]
    window = dt.timedelta(hours=DUPLICATE_HOURS)
    near = c.violations.filter(connue_le__gte=known - window, connue_le__lte=known + window).order_by("connue_le")
    twin = next((v for v in near if set(v.natures) & set(fields["natures"])), None)
    with transaction.atomic():
        made = Violation.objects.create(collectivite=c, doublon_de=twin, **fields)
        made.activites.set(concerned)
        trace(
            c,
            who,
            "violation",
            made,
            f"Violation connue le {timezone.localtime(known):%d/%m/%Y %H:%M}",
            "enregistrée",
            None,
            {"natures": fields["natures"], "risque": fields["risque"], "personnes": fields.get("personnes")},
        )
    return made


def notify_breach(v: Violation, who, when: dt.datetime | None = None, motif_retard: str = "") -> Violation:
    """Record the notification to the CNIL; after 72 hours it gives the reasons for the delay
    (art. 33.1)."""
    require(who, v, "modifier")
    when = when or timezone.now()
    late = when > v.echeance().due
    motif_retard = (motif_retard or "").strip()
    if late and not motif_retard:
        raise Refused(
            f"notification après le délai de 72 heures (échéance le {timezone.localtime(v.echeance().due):%d/%m/%Y à %H:%M}) : elle en donne les motifs (art. 33.1)"
        )
    v.notifiee_le, v.motif_retard = when, motif_retard if late else v.motif_retard
    with transaction.atomic():
        v.save(update_fields=["notifiee_le", "motif_retard"])
        trace(
            v.collectivite,
            who,
            "violation",
            v,
            f"Violation connue le {timezone.localtime(v.connue_le):%d/%m/%Y %H:%M}",
            "notifiée",
            None,
            {"notifiee_le": when.isoformat(), "motif_retard": v.motif_retard},
        )
    return v


def notification_pdf(v: Violation) -> bytes:
    """The breach as the CNIL's notification form lays it out (the organisation, the breach,
    the data and persons, the likely consequences, the measures, the information of the
    persons, the reasons of a late notification), to copy into the CNIL's online form."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string("rgpd/notification_pdf.html", {"v": v, "c": v.collectivite, "dpo": dpo_of(v.collectivite), "echeance": v.echeance()})
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def request_late(d: Demande, now: dt.datetime) -> bool:
    due = d.echeance().due
    return (d.repondue_le or now) > due


def breach_late(v: Violation, now: dt.datetime) -> bool:
    if not v.notification_requise:
        return False
    return (v.notifiee_le or now) > v.echeance().due


# --- score and dashboard ------------------------------------------------------------------

# (key, label, points): docs/rgpd.md, "Score de conformité".
CRITERIA = [
    ("dpo", "DPO désigné auprès de la CNIL (numéro de désignation renseigné)", 10),
    ("registre", "Registre tenu : au moins 5 activités", 15),
    ("verifiees", "Activités vérifiées par le DPO", 25),
    ("aipd", "Analyses d'impact requises faites", 10),
    ("sous_traitants", "Contrats de sous-traitance avec les clauses de l'article 28", 10),
    ("demandes", "Demandes de droits traitées dans les délais", 10),
    ("violations", "Violations notifiées à la CNIL dans les 72 heures", 10),
    ("actions", "Plan d'actions sans retard", 10),
]
MIN_ACTIVITIES = 5


@dataclass
class Row:
    collectivite: Collectivite
    activites: int = 0
    brouillons: int = 0
    verifiees: int = 0
    aipd_requises: int = 0
    aipd_faites: int = 0
    sous_traitants: int = 0
    sous_traitants_complets: int = 0
    demandes: int = 0
    demandes_en_retard: int = 0
    demandes_ouvertes: int = 0
    violations: int = 0
    violations_en_retard: int = 0
    actions: int = 0
    actions_en_retard: int = 0

    def parts(self) -> dict[str, float | None]:
        """Each criterion's share met, 0 to 1; None when there is nothing to judge it on (no
        analysis required, no processor, no request, no breach, no action): such a criterion
        is left out of the score, never given for free (an empty register scores 0, not 50)."""
        return {
            "dpo": 1.0 if self.collectivite.dpo_designation_cnil else 0.0,
            "registre": min(self.activites, MIN_ACTIVITIES) / MIN_ACTIVITIES,
            "verifiees": self.verifiees / self.activites if self.activites else 0.0,
            "aipd": self.aipd_faites / self.aipd_requises if self.aipd_requises else None,
            "sous_traitants": self.sous_traitants_complets / self.sous_traitants if self.sous_traitants else None,
            "demandes": (0.0 if self.demandes_en_retard else 1.0) if self.demandes else None,
            "violations": (0.0 if self.violations_en_retard else 1.0) if self.violations else None,
            "actions": 1 - self.actions_en_retard / self.actions if self.actions else None,
        }

    @property
    def score(self) -> int:
        """Out of 100: the points won over the points of the criteria that apply."""
        parts = self.parts()
        applicable = [(points, parts[key]) for key, _, points in CRITERIA if parts[key] is not None]
        return round(100 * sum(p * share for p, share in applicable) / sum(p for p, _ in applicable))

    def details(self) -> list[tuple[str, int | None, int]]:
        """(criterion, points won or None when it does not apply, its points)."""
        parts = self.parts()
        return [(label, None if parts[key] is None else round(points * parts[key]), points) for key, label, points in CRITERIA]


def dashboard(collectivites, now: dt.datetime | None = None) -> list[Row]:
    """One row per collectivité with its counts and score; a fixed number of queries whatever
    the number of collectivités (the deadlines of open requests and breaches are computed in
    Python: they depend on the calendar)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows = {c.pk: Row(c) for c in collectivites}
    ids = list(rows)
    for r in (
        Activite.objects.filter(collectivite_id__in=ids)
        .values("collectivite_id")
        .annotate(
            n=Count("id"),
            v=Count("id", filter=Q(statut=Activite.VERIFIE)),
            b=Count("id", filter=Q(statut=Activite.BROUILLON)),
            req=Count("id", filter=Q(aipd_requise=True)),
            done=Count("id", filter=Q(aipd_requise=True, aipd_statut="faite")),
        )
    ):
        row = rows[r["collectivite_id"]]
        row.activites, row.verifiees, row.brouillons, row.aipd_requises, row.aipd_faites = r["n"], r["v"], r["b"], r["req"], r["done"]
    for r in (
        Action.objects.filter(collectivite_id__in=ids)
        .values("collectivite_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(echeance__lt=today) & ~Q(statut="faite")))
    ):
        rows[r["collectivite_id"]].actions, rows[r["collectivite_id"]].actions_en_retard = r["n"], r["late"]
    for cid, clauses in SousTraitant.objects.filter(collectivite_id__in=ids).values_list("collectivite_id", "clauses"):
        rows[cid].sous_traitants += 1
        rows[cid].sous_traitants_complets += all(key in clauses for key, _ in CLAUSES)
    for d in Demande.objects.filter(collectivite_id__in=ids).select_related("collectivite"):
        row = rows[d.collectivite_id]
        row.demandes += 1
        row.demandes_ouvertes += d.statut == Demande.EN_COURS
        row.demandes_en_retard += request_late(d, now)
    for v in Violation.objects.filter(collectivite_id__in=ids):
        rows[v.collectivite_id].violations += 1
        rows[v.collectivite_id].violations_en_retard += breach_late(v, now)
    return list(rows.values())


@dataclass
class Due:
    """An open request or a breach awaiting notification, with its deadline and what is left."""

    collectivite: Collectivite
    objet: Demande | Violation
    echeance: dt.datetime
    reste: dt.timedelta

    @property
    def en_retard(self) -> bool:
        return self.reste.total_seconds() < 0

    @property
    def reste_texte(self) -> str:
        seconds = abs(int(self.reste.total_seconds()))
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        text = (f"{days} j " if days else "") + f"{hours} h {rest // 60:02d} min"
        return f"en retard de {text}" if self.en_retard else f"reste {text}"


def due_soon(collectivites, now: dt.datetime | None = None, days: int = 7) -> dict[str, list[Due]]:
    """Open requests due within `days` days (or late) and breaches whose notification to the
    CNIL is awaited, soonest first: the DPO's week."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=days)
    requests, breaches = [], []
    for d in Demande.objects.filter(collectivite__in=collectivites, statut=Demande.EN_COURS).select_related("collectivite__organisation"):
        due = d.echeance().due
        if due <= horizon:
            requests.append(Due(d.collectivite, d, due, due - now))
    for v in (
        Violation.objects.filter(collectivite__in=collectivites, notifiee_le__isnull=True).exclude(risque="aucun").select_related("collectivite__organisation")
    ):
        due = v.echeance().due
        breaches.append(Due(v.collectivite, v, due, due - now))
    return {"demandes": sorted(requests, key=lambda x: x.echeance), "violations": sorted(breaches, key=lambda x: x.echeance)}


def send_reminders(now: dt.datetime | None = None, days: int = 7) -> list[tuple[Collectivite, list[str], int]]:
    """One e-mail per collectivité with open requests due within `days` days (or late) or
    breaches awaiting notification, to the accounts that keep its register (its gestionnaires
    and admins, the DPO and référents of its structure) that have an address. Django's mail
    framework: the console by default (docs/exploitation.md). Returns (collectivité,
    recipients, items) for each one written to."""
    from django.core.mail import send_mail

    from terrinum.accounts.models import Membership

    now = now or timezone.now()
    week = due_soon(Collectivite.objects.all(), now, days)
    by_collectivite: dict[int, list[Due]] = {}
    for item in week["violations"] + week["demandes"]:
        by_collectivite.setdefault(item.collectivite.pk, []).append(item)
    sent = []
    for items in by_collectivite.values():
        c = items[0].collectivite
        keepers = Membership.objects.filter(
            Q(organisation=c.organisation, role__in=policy.EDIT_ROLES)
            | Q(organisation__collectivites_servies=c.organisation, role__in=(Membership.DPO, Membership.ADMIN))
            | Q(collectivites_assignees=c.organisation, role=Membership.REFERENT)
        )
        recipients = sorted({e for e in keepers.values_list("user__email", flat=True) if e})
        if not recipients:
            continue
        lines = []
        for item in items:
            what = (
                f"violation connue le {timezone.localtime(item.objet.connue_le):%d/%m/%Y %H:%M} : notifier la CNIL"
                if isinstance(item.objet, Violation)
                else f"demande ({item.objet.get_droit_display()}) : répondre"
            )
            lines.append(f"- {what} avant le {item.echeance:%d/%m/%Y à %H:%M} ({item.reste_texte})")
        body = f"Échéances RGPD de {c} :\n\n" + "\n".join(lines) + "\n\nLe détail et les règles de calcul sont sur la page de la collectivité dans Terrinum."
        send_mail(f"RGPD — {c} : {len(items)} échéance(s)", body, None, recipients)
        sent.append((c, recipients, len(items)))
    return sent


# --- exports ------------------------------------------------------------------------------

# The columns of the register, after the CNIL's model register (one row per activity).
COLUMNS = [
    "Activité",
    "Finalités",
    "Rôle",
    "Responsables conjoints",
    "Base légale",
    "Justification de la base légale",
    "Catégories de personnes concernées",
    "Catégories de données",
    "Données sensibles ou NIR",
    "Durées de conservation et sort final",
    "Destinataires",
    "Transferts hors UE et garanties",
    "Mesures de sécurité",
    "Logiciels",
    "Source des données",
    "AIPD requise",
    "État de l'AIPD",
    "Statut",
    "Créée le",
    "Mise à jour",
]
# What a public register shows (no security detail, no workflow); the joint controllers are
# public (art. 26.2: the essence of their arrangement is made available to the persons).
PUBLIC_COLUMNS = COLUMNS[:11]


def register_rows(c: Collectivite, public: bool = False) -> list[dict]:
    labels = {**dict(LEGAL_BASES), **dict(ROLES), **dict(MEASURES), **dict(OUTCOMES)}
    out = []
    activities = c.activites.prefetch_related("donnees")
    if public:
        activities = activities.exclude(statut=Activite.BROUILLON)
    for a in activities:
        data = list(a.donnees.all())
        row = {
            "Activité": a.nom,
            "Finalités": a.finalites,
            "Rôle": labels[a.role],
            "Responsables conjoints": a.responsables_conjoints,
            "Base légale": labels[a.base_legale],
            "Justification de la base légale": a.justification,
            "Catégories de personnes concernées": " ; ".join(a.personnes),
            "Catégories de données": " ; ".join(d.categorie for d in data),
            "Données sensibles ou NIR": " ; ".join(d.categorie + (" (NIR)" if d.nir else "") for d in data if d.sensible or d.nir) or "aucune",
            "Durées de conservation et sort final": " ; ".join(f"{d.categorie} : {d.duree} ({labels[d.sort_final].lower()})" for d in data),
            "Destinataires": " ; ".join(f"{x.get('nom', '')} ({x.get('type', '')})" for x in a.destinataires),
            "Transferts hors UE et garanties": (a.transferts + (f" — garanties : {a.garanties}" if a.garanties else "")) or "aucun",
            "Mesures de sécurité": " ; ".join(labels[m] for m in a.mesures),
            "Logiciels": a.logiciels,
            "Source des données": a.source,
            "AIPD requise": "oui" if a.aipd_requise else "non",
            "État de l'AIPD": a.get_aipd_statut_display(),
            "Statut": a.get_statut_display(),
            "Créée le": timezone.localtime(a.cree_le).strftime("%d/%m/%Y"),
            "Mise à jour": timezone.localtime(a.modifie_le).strftime("%d/%m/%Y"),
        }
        out.append({k: row[k] for k in (PUBLIC_COLUMNS if public else COLUMNS)})
    return out


def register_ods(c: Collectivite) -> bytes:
    """The register as an OpenDocument spreadsheet, one row per activity."""
    from terrinum import ods

    return ods.sheet("Registre", COLUMNS, [list(r.values()) for r in register_rows(c)])


def register_pdf(c: Collectivite) -> bytes:
    """The register as a tagged PDF (WeasyPrint), one sheet per activity as in the CNIL's model."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string("rgpd/registre_pdf.html", {"c": c, "dpo": dpo_of(c), "lignes": register_rows(c), "aujourdhui": timezone.localdate()})
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def register_xlsx(c: Collectivite) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Registre"
    sheet.append(COLUMNS)
    for r in register_rows(c):
        sheet.append(list(r.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def register_csv(c: Collectivite) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(register_rows(c))
    return out.getvalue()


# --- processors and the action plan -------------------------------------------------------


def save_processor(c: Collectivite, who, nom: str, prestation: str, clauses: list[str], hors_ue: bool = False) -> SousTraitant:
    require(who, c, "modifier")
    _check_keys("clauses", clauses, CLAUSES)
    if not nom.strip():
        raise Refused("nom du sous-traitant : obligatoire")
    with transaction.atomic():
        made = SousTraitant.objects.create(collectivite=c, nom=nom.strip(), prestation=prestation.strip(), clauses=clauses, hors_ue=hors_ue)
        trace(c, who, "sous-traitant", made, made.nom, "ajouté", None, {"prestation": made.prestation, "clauses": clauses, "hors_ue": hors_ue})
    return made


def add_action(c: Collectivite, who, intitule: str, echeance: dt.date, priorite: int = 2) -> Action:
    require(who, c, "modifier")
    if not intitule.strip():
        raise Refused("intitulé de l'action : obligatoire")
    if priorite not in dict(Action.PRIORITIES):
        raise Refused("priorité : 1 (haute), 2 (moyenne) ou 3 (basse)")
    with transaction.atomic():
        made = Action.objects.create(collectivite=c, intitule=intitule.strip(), echeance=echeance, priorite=priorite)
        trace(c, who, "action", made, made.intitule, "ajoutée", None, {"echeance": echeance.isoformat(), "priorite": priorite})
    return made


# --- a whole collectivité as JSON -----------------------------------------------------------

FORMAT = "terrinum-rgpd/1"
ACTIVITY_FIELDS = [
    "nom",
    "finalites",
    "role",
    "pour_le_compte_de",
    "base_legale",
    "justification",
    "personnes",
    "destinataires",
    "transferts",
    "garanties",
    "mesures",
    "logiciels",
    "source",
    "criteres_aipd",
    "aipd_statut",
    "modele",
    "responsables_conjoints",
]


def export_json(c: Collectivite) -> dict:
    """The collectivité's register, processors and action plan (requests and breaches stay:
    they are case files, not a register to move)."""
    return {
        "format": FORMAT,
        "collectivite": {
            "nom": c.organisation.nom,
            "categorie": c.categorie,
            "insee": c.insee,
            "dpo_designation_cnil": c.dpo_designation_cnil,
            "responsable": c.responsable,
            "contact": c.contact,
            "dpo_contact": c.dpo_contact,
        },
        "activites": [
            {
                **{f: getattr(a, f) for f in ACTIVITY_FIELDS},
                "statut": a.statut,
                "donnees": [
                    {"categorie": d.categorie, "duree": d.duree, "sensible": d.sensible, "nir": d.nir, "sort_final": d.sort_final} for d in a.donnees.all()
                ],
            }
            for a in c.activites.prefetch_related("donnees")
        ],
        "sous_traitants": [{"nom": s.nom, "prestation": s.prestation, "clauses": s.clauses, "hors_ue": s.hors_ue} for s in c.sous_traitants.all()],
        "actions": [{"intitule": x.intitule, "priorite": x.priorite, "echeance": x.echeance.isoformat(), "statut": x.statut} for x in c.actions.all()],
    }


MAX_IMPORT_BYTES = 5_000_000


def read_export(raw: bytes, source: str) -> dict:
    """The JSON of an export file, or Refused naming the file and why: too heavy, not UTF-8,
    not JSON, nested too deep (Python's parser recurses), or holding a NUL character."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise Refused(f"{source} : fichier trop lourd (5 Mo au plus)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(f"{source} : ce n'est pas du texte UTF-8 (octet {exc.start + 1})") from None
    if "\x00" in text or "\\u0000" in text:
        raise Refused(f"{source} : caractère nul dans le fichier (fichier binaire ?)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Refused(f"{source} : JSON illisible, ligne {exc.lineno}, colonne {exc.colno} ({exc.msg})") from None
    except RecursionError:
        raise Refused(f"{source} : JSON illisible, imbrication trop profonde (un export de Terrinum n'a que quelques niveaux)") from None


def import_json(c: Collectivite, data: dict, who, source: str = "fichier") -> dict:
    """Load an export into a collectivité, in one transaction: activities are matched by name
    (replaced), processors and actions added. Any error names the place in the file
    (« activites[3].base_legale ») and nothing is written. A verified activity is imported as
    « terminé »: the DPO verifies in the register it lives in."""
    require(who, c, "modifier")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise Refused(f"{source} : format attendu « {FORMAT} » (champ format)")
    counts = {"activites": 0, "sous_traitants": 0, "actions": 0}
    with transaction.atomic():
        for i, item in enumerate(data.get("activites", [])):
            where = f"{source}, activites[{i}]"
            try:
                missing = [f for f in ("nom", "finalites", "base_legale") if not item.get(f)]
                if missing:
                    raise Refused(f"champ(s) obligatoire(s) absent(s) : {', '.join(missing)}")
                a = Activite.objects.filter(collectivite=c, nom=item["nom"]).first() or Activite(collectivite=c)
                for f in ACTIVITY_FIELDS:
                    if f in item:
                        setattr(a, f, item[f])
                a.statut = Activite.TERMINE if item.get("statut") in (Activite.TERMINE, Activite.VERIFIE) else Activite.BROUILLON
                save_activity(a, who, donnees=item.get("donnees", []))
            except Refused as exc:
                raise Refused(f"{where} ({item.get('nom', '?') if isinstance(item, dict) else '?'}) : {exc}") from exc
            counts["activites"] += 1
        for i, item in enumerate(data.get("sous_traitants", [])):
            try:
                save_processor(c, who, item.get("nom", ""), item.get("prestation", ""), item.get("clauses", []), bool(item.get("hors_ue")))
            except Refused as exc:
                raise Refused(f"{source}, sous_traitants[{i}] : {exc}") from exc
            counts["sous_traitants"] += 1
        for i, item in enumerate(data.get("actions", [])):
            try:
                when = dt.date.fromisoformat(str(item.get("echeance", "")))
            except ValueError as exc:
                raise Refused(f"{source}, actions[{i}].echeance : date AAAA-MM-JJ attendue") from exc
            try:
                add_action(c, who, item.get("intitule", ""), when, int(item.get("priorite", 2)))
            except Refused as exc:
                raise Refused(f"{source}, actions[{i}] : {exc}") from exc
            counts["actions"] += 1
    return counts
