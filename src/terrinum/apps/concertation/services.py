"""Operations of the shared process, each one transaction, each checked by its caller's
account against the one policy: opening a démarche, inviting (accounts, links, every commune
in bulk), contributing (draft, submit), moderating, the consolidation's figures that need no
report (distribution, consensus), and the action plan with its financing. What needs the
diagnostic report (perception against measure, the frozen version, tracking) is in
terrinum.diagnostic.partage. Rules: docs/diagnostic-partage.md."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import secrets
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from terrinum import ods
from terrinum.accounts import policy
from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.concertation.models import (
    FINANCERS,
    REPORT_CATEGORIES,
    THEMES,
    Action,
    Contribution,
    Demarche,
    Financement,
    Participant,
    Signalement,
)
from terrinum.territories.helpers import COMMUNE_COLUMN
from terrinum.territories.models import Territory


def link_expiry(d: Demarche) -> dt.datetime:
    """An invitation link is valid to the end of the consultation's last day (Paris time): the
    date the invitation states (a link of 30 days ended before a consultation of 75, or
    after a consultation of 10)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(d.fin, dt.time(23, 59, 59), tzinfo=ZoneInfo("Europe/Paris"))


MAX_REPORTS = 5  # located reports per contribution
LEVELS = range(1, 6)
TRANSITIONS = {
    Demarche.PREPARATION: {Demarche.CONSULTATION},
    Demarche.CONSULTATION: {Demarche.CONSOLIDATION},
    Demarche.CONSOLIDATION: {Demarche.CONSULTATION},  # reopened; validation: diagnostic.partage.validate
    Demarche.VALIDEE: {Demarche.ARCHIVEE},
}


class Refused(Exception):
    """An operation refused, its reason in French; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def leads(user, d: Demarche) -> bool:
    """The lead's accounts (admin or gestionnaire of the leading organisation) run the démarche."""
    return user.is_authenticated and (user.is_superuser or d.porteur_id in policy.acting_organisations(user, d.porteur.type))


def require_lead(user, d: Demarche) -> None:
    if not leads(user, d):
        raise Refused("seul le porteur de la démarche peut faire cela", 403)


def participant_of(user, d: Demarche) -> Participant | None:
    """The participant this account answers for (an organisation it belongs to)."""
    if not user.is_authenticated:
        return None
    orgs = Membership.objects.filter(user=user).values_list("organisation_id", flat=True)
    return d.participants.filter(organisation_id__in=orgs).first()


def visible_to(user):
    """The démarches an account sees: those it leads or takes part in."""
    found = Demarche.objects.select_related("porteur")
    if user.is_superuser:
        return found
    orgs = list(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    return found.filter(Q(porteur_id__in=orgs) | Q(participants__organisation_id__in=orgs)).distinct()


# --- the démarche ---------------------------------------------------------------------------


def open_demarche(
    porteur: Organisation, niveau: str, code: str, titre: str, debut: dt.date, fin: dt.date, who, themes: list[str] | None = None,
    livrable: str = Demarche.DIAGNOSTIC,
) -> Demarche:  # fmt: skip
    if not (who.is_superuser or porteur.pk in policy.acting_organisations(who, porteur.type)):
        raise Refused("vous n'agissez pas pour cette organisation", 403)
    if not Territory.objects.filter(niveau=niveau, code=code).exists():
        raise Refused(f"territoire inconnu : {niveau} {code}", 404)
    if fin < debut:
        raise Refused("la fin de la consultation précède son début")
    themes = themes or [k for k, _ in THEMES]
    unknown = [t for t in themes if t not in dict(THEMES)]
    if unknown:
        raise Refused(f"thème(s) inconnu(s) : {', '.join(unknown)}")
    if livrable not in dict(Demarche.DELIVERABLES):
        raise Refused(f"livrable inconnu : {livrable}")
    if livrable == Demarche.SCHEMA and niveau not in Demarche.SCHEMA_LEVELS:
        raise Refused("un schéma directeur se dresse pour un département, une région ou une intercommunalité : le territoire du porteur n'en est pas un")
    return Demarche.objects.create(
        porteur=porteur, territoire_niveau=niveau, territoire_code=code, titre=titre.strip(), debut=debut, fin=fin, themes=themes, livrable=livrable
    )


def move(d: Demarche, statut: str, who) -> Demarche:
    require_lead(who, d)
    if statut not in TRANSITIONS.get(d.statut, set()):
        raise Refused(f"passage impossible de « {d.get_statut_display()} » à « {dict(Demarche.STATES).get(statut, statut)} »", 409)
    d.statut = statut
    d.save(update_fields=["statut"])
    return d


# --- participants and links -----------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_organisation(d: Demarche, org: Organisation, who) -> Participant:
    require_lead(who, d)
    found, _ = Participant.objects.get_or_create(demarche=d, organisation=org, defaults={"nom": org.nom})
    return found


def invite_link(d: Demarche, nom: str, email: str, who) -> tuple[Participant, str]:
    """An external partner, reached by an unguessable link valid `days` days; the token is
    returned once (only its SHA-256 is kept)."""
    require_lead(who, d)
    if not nom.strip():
        raise Refused("nom du partenaire : obligatoire")
    token = secrets.token_urlsafe(32)
    p = Participant.objects.create(demarche=d, nom=nom.strip(), email=email.strip(), empreinte=_digest(token), expire_le=link_expiry(d))
    return p, token


def invite_communes(d: Demarche, who) -> list[tuple[Participant, str]]:
    """Every commune of the territory, invited by link in one transaction, with its town-hall
    address where the référentiel knows it; communes already invited are skipped."""
    require_lead(who, d)
    column = COMMUNE_COLUMN.get(d.territoire_niveau)
    communes = Territory.objects.filter(niveau="commune")
    if column is not None:
        communes = communes.filter(**{column: d.territoire_code})
    elif d.territoire_niveau != "pays":
        communes = communes.filter(code=d.territoire_code)
    taken = set(d.participants.values_list("nom", flat=True))
    made = []
    expires = link_expiry(d)
    for t in communes.only("code", "nom", "niveau", "mairie").order_by("code"):
        nom = f"Commune {t.de_nom} ({t.code})"
        if nom in taken or f"Commune de {t.nom} ({t.code})" in taken:  # as invitations were named before 2026-12
            continue
        token = secrets.token_urlsafe(32)
        made.append((Participant(demarche=d, nom=nom, email=(t.mairie or {}).get("email") or "", empreinte=_digest(token), expire_le=expires), token))
    with transaction.atomic():
        Participant.objects.bulk_create([p for p, _ in made], batch_size=500)
    return made


def mail_invitations(d: Demarche, invited: list[tuple[Participant, str]], base_url: str) -> int:
    """One e-mail per invited partner with an address (Django's mail framework)."""
    from django.core.mail import get_connection, send_mass_mail

    messages = [
        (
            f"Diagnostic numérique partagé : {d.titre}",
            f"Bonjour,\n\n{d.porteur.nom} vous invite à contribuer au diagnostic numérique partagé « {d.titre} », "
            f"jusqu'au {d.fin:%d/%m/%Y}.\n\nVotre lien personnel (valable jusqu'au {timezone.localtime(p.expire_le):%d/%m/%Y}) :\n"
            f"{base_url}/contribuer/{token}/\n\nCe lien ne donne accès qu'au formulaire de cette démarche.",
            None,
            [p.email],
        )
        for p, token in invited
        if p.email
    ]
    return send_mass_mail(messages, connection=get_connection()) if messages else 0


def participant_for_link(token: str) -> Participant:
    """The participant of a link; Refused naming why a link does not open (unknown, revoked,
    expired)."""
    p = Participant.objects.filter(empreinte=_digest(token)).select_related("demarche__porteur").first() if token else None
    if p is None:
        raise Refused("ce lien d'invitation n'existe pas : vérifiez qu'il est complet", 404)
    if p.revoque:
        raise Refused("ce lien d'invitation a été révoqué par le porteur de la démarche", 403)
    if p.expire_le and p.expire_le < timezone.now():
        raise Refused(f"ce lien d'invitation a expiré le {timezone.localtime(p.expire_le):%d/%m/%Y} : demandez-en un nouveau au porteur", 410)
    return p


def revoke(p: Participant, who) -> None:
    require_lead(who, p.demarche)
    p.revoque = True
    p.save(update_fields=["revoque"])


def remind(d: Demarche, who) -> list[Participant]:
    """Participants with nothing submitted yet (the lead relaunches them)."""
    require_lead(who, d)
    answered = Contribution.objects.filter(participant__demarche=d, statut=Contribution.SOUMISE).values_list("participant_id", flat=True)
    late = list(d.participants.exclude(pk__in=answered).filter(revoque=False))
    Participant.objects.filter(pk__in=[p.pk for p in late]).update(relance_le=timezone.now())
    return late


# --- contributions --------------------------------------------------------------------------


@dataclass
class ReportIn:
    categorie: str
    description: str
    commune_code: str = ""
    latitude: float | None = None
    longitude: float | None = None


def contribute(
    p: Participant, theme: str, difficulte: int, difficultes: str = "", priorites: str = "", reports: list[ReportIn] | None = None, submit: bool = False
) -> Contribution:
    """Save a participant's answer on a theme (a draft until submitted; a submitted answer is
    final). Only while the consultation is open."""
    d = p.demarche
    if d.statut != Demarche.CONSULTATION:
        raise Refused(f"la consultation n'est pas ouverte (démarche « {d.get_statut_display().lower()} »)", 409)
    if theme not in d.themes:
        raise Refused(f"thème hors de la démarche : {theme}")
    if difficulte not in LEVELS:
        raise Refused("niveau de difficulté : de 1 (aucune) à 5 (majeure)")
    reports = reports or []
    if len(reports) > MAX_REPORTS:
        raise Refused(f"au plus {MAX_REPORTS} signalements par thème")
    for i, r in enumerate(reports, 1):
        if r.categorie not in dict(REPORT_CATEGORIES) or not r.description.strip():
            raise Refused(f"signalement n° {i} : une catégorie et une description")
        if not r.commune_code and (r.latitude is None or r.longitude is None):
            raise Refused(f"signalement n° {i} : une commune ou une position")
        if r.commune_code and not Territory.objects.filter(niveau="commune", code=r.commune_code).exists():
            raise Refused(f"signalement n° {i} : commune inconnue {r.commune_code}")
    with transaction.atomic():
        c = Contribution.objects.select_for_update().filter(participant=p, theme=theme).first()
        if c is not None and c.statut == Contribution.SOUMISE:
            raise Refused("contribution déjà envoyée sur ce thème", 409)
        c = c or Contribution(participant=p, theme=theme)
        c.difficulte, c.difficultes, c.priorites = difficulte, difficultes.strip(), priorites.strip()
        if submit:
            c.statut, c.soumise_le = Contribution.SOUMISE, timezone.now()
        c.save()
        c.signalements.all().delete()
        Signalement.objects.bulk_create([Signalement(contribution=c, **r.__dict__) for r in reports])
    return c


def submit_drafts(p: Participant) -> list[Contribution]:
    """Send every draft of a participant at once (one transaction): the answers saved theme
    by theme become final together. Only while the consultation is open."""
    d = p.demarche
    if d.statut != Demarche.CONSULTATION:
        raise Refused(f"la consultation n'est pas ouverte (démarche « {d.get_statut_display().lower()} »)", 409)
    with transaction.atomic():
        drafts = list(Contribution.objects.select_for_update().filter(participant=p, statut=Contribution.BROUILLON, theme__in=d.themes))
        if not drafts:
            raise Refused("aucun brouillon à envoyer : enregistrez d'abord vos réponses, thème par thème", 409)
        now = timezone.now()
        for c in drafts:
            c.statut, c.soumise_le = Contribution.SOUMISE, now
            c.save(update_fields=["statut", "soumise_le"])
    return drafts


def moderate(c: Contribution, who, motif: str, hide: bool = True) -> Contribution:
    """Hide (or show again) a contribution, with a reason kept in the audit log."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    require_lead(who, c.participant.demarche)
    if hide and not motif.strip():
        raise Refused("masquer une contribution demande un motif")
    with transaction.atomic():
        c.masquee, c.motif_masquage = hide, motif.strip() if hide else ""
        c.save(update_fields=["masquee", "motif_masquage"])
        LogEntry.objects.create(
            user=who,
            content_type=ContentType.objects.get_for_model(Contribution),
            object_id=str(c.pk),
            object_repr=f"{c.participant.nom} — {c.theme}"[:200],
            action_flag=CHANGE,
            change_message=("masquée : " + c.motif_masquage) if hide else "rétablie",
        )
    return c


# --- consolidation (what needs no report) ---------------------------------------------------


def consensus(levels: list[int], low: int = 1, high: int = 5) -> float | None:
    """Tastle and Wierman's consensus of answers on an ordinal scale (2007): 1 when everyone
    gives the same level, 0 when answers split evenly between the two ends;
    Cns = 1 + Σ p_i log2(1 - |X_i - μ| / (high - low))."""
    if not levels:
        return None
    n, width = len(levels), high - low
    mean = sum(levels) / n
    total = 0.0
    for level, count in Counter(levels).items():
        share = count / n
        total += share * math.log2(1 - abs(level - mean) / width)
    return 1 + total


@dataclass
class ThemeSummary:
    theme: str
    libelle: str
    niveaux: dict[int, int] = field(default_factory=dict)  # level -> answers
    moyenne: float | None = None
    consensus: float | None = None
    priorites: list[tuple[str, str]] = field(default_factory=list)  # (who, text)
    signalements: list[Signalement] = field(default_factory=list)

    @property
    def reponses(self) -> int:
        return sum(self.niveaux.values())


def consolidate(d: Demarche) -> list[ThemeSummary]:
    """Per theme: the distribution of the submitted, visible answers, their mean and
    consensus, the priorities quoted and the located reports."""
    labels = dict(THEMES)
    out = {t: ThemeSummary(t, labels.get(t, t), {level: 0 for level in LEVELS}) for t in d.themes}
    answers: dict[str, list[int]] = {t: [] for t in d.themes}
    visible = Contribution.objects.filter(participant__demarche=d, statut=Contribution.SOUMISE, masquee=False)
    rows = visible.order_by("theme", "participant__nom").values_list("theme", "difficulte", "priorites", "participant__nom")
    for theme, level, wanted, who in rows.iterator(chunk_size=5000):  # tuples: thousands of answers
        s = out.get(theme)
        if s is None:
            continue
        s.niveaux[level] += 1
        answers[theme].append(level)
        if wanted:
            s.priorites.append((who, wanted))
    for r in Signalement.objects.filter(contribution__in=visible).select_related("contribution").order_by("id"):
        if r.contribution.theme in out:
            out[r.contribution.theme].signalements.append(r)
    for t, s in out.items():
        if answers[t]:
            s.moyenne = sum(answers[t]) / len(answers[t])
            s.consensus = consensus(answers[t])
    return list(out.values())


def answered(d: Demarche) -> dict[int, int]:
    """Themes submitted per participant id."""
    rows = Contribution.objects.filter(participant__demarche=d, statut=Contribution.SOUMISE).values_list("participant_id", flat=True)
    return dict(Counter(rows))


# --- the action plan ------------------------------------------------------------------------


def add_action(d: Demarche, who, **fields) -> Action:
    require_lead(who, d)
    if d.statut != Demarche.VALIDEE:
        raise Refused("le plan d'actions se bâtit sur un diagnostic validé", 409)
    if not str(fields.get("intitule", "")).strip():
        raise Refused("intitulé de l'action : obligatoire")
    if fields["fin"] < fields["debut"]:
        raise Refused("la fin de l'action précède son début")
    return Action.objects.create(demarche=d, **fields)


def add_financing(a: Action, who, financeur: str, annee: int, montant_centimes: int) -> Financement:
    require_lead(who, a.demarche)
    if not financeur.strip():
        raise Refused("financeur : obligatoire")
    if montant_centimes <= 0:
        raise Refused("montant : positif")
    return Financement.objects.create(action=a, financeur=financeur.strip(), annee=annee, montant_centimes=montant_centimes)


def financing_plan(d: Demarche) -> dict:
    """Totals by year and by financer, the cost, the funded share and what is left to fund."""
    rows = Financement.objects.filter(action__demarche=d)
    cost = d.actions.aggregate(i=Sum("investissement_centimes"), f=Sum("fonctionnement_centimes"))
    total_cost = (cost["i"] or 0) + (cost["f"] or 0)
    funded = rows.aggregate(s=Sum("montant_centimes"))["s"] or 0
    return {
        "par_annee": list(rows.values("annee").annotate(montant=Sum("montant_centimes")).order_by("annee")),
        "par_financeur": list(rows.values("financeur").annotate(montant=Sum("montant_centimes")).order_by("-montant", "financeur")),
        "cout_centimes": total_cost,
        "finance_centimes": funded,
        "reste_centimes": max(total_cost - funded, 0),
        "part_financee": funded / total_cost if total_cost else None,
        "financeurs_proposes": FINANCERS,
    }


PLAN_COLUMNS = [
    "action",
    "porteur",
    "debut",
    "fin",
    "investissement_euros",
    "fonctionnement_euros",
    "indicateur",
    "valeur_reference",
    "valeur_cible",
    "date_cible",
    "financeur",
    "annee",
    "montant_euros",
]


def plan_rows(d: Demarche) -> list[list]:
    """One row per financing line (an action without financing: one row, financer empty)."""
    rows = []
    for a in d.actions.prefetch_related("financements"):
        base = [
            a.intitule,
            a.porteur,
            a.debut.isoformat(),
            a.fin.isoformat(),
            a.investissement_centimes / 100,
            a.fonctionnement_centimes / 100,
            a.indicateur,
            a.valeur_reference,
            a.valeur_cible,
            a.date_cible.isoformat() if a.date_cible else "",
        ]
        lines = list(a.financements.all()) or [None]
        rows += [base + ([f.financeur, f.annee, f.montant_centimes / 100] if f else ["", "", ""]) for f in lines]
    return rows


def plan_file(d: Demarche, fmt: str) -> bytes:
    """The action plan and its financing, as CSV or ODS."""
    rows = plan_rows(d)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(PLAN_COLUMNS)
        writer.writerows(rows)
        return out.getvalue().encode()
    return ods.sheet("Plan", PLAN_COLUMNS, rows)
