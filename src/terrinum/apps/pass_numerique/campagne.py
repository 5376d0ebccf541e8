"""Running a campaign: the carnets a funder allocates to its prescribers (a stock per
distribution point, reallocated by taking some back), and the reminders sent before a
programme's vouchers stop being accepted — 30 days before (distribution to be finished) and
15 days before (distribution stops), as the national operator does. Rules:
docs/pass-numerique.md, « Campagne »."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from terrinum.accounts import policy
from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.pass_numerique.models import ATTRIBUE, EMIS, Carnet, Dotation, Programme, Qualification, Rappel
from terrinum.apps.pass_numerique.services import PLATFORM, Refused, may_qualify

LOW_STOCK = 2  # carnets left: the prescriber is warned at this many or fewer
REMINDER_DAYS = (30, 15)


@dataclass
class Stock:
    prescripteur: Organisation
    recus: int
    remis: int

    @property
    def restants(self) -> int:
        return self.recus - self.remis

    @property
    def bas(self) -> bool:
        return self.recus > 0 and self.restants <= LOW_STOCK


def stocks(programme: Programme) -> list[Stock]:
    """Per prescriber of the programme: carnets received (its allocations), handed out, left."""
    received = dict(programme.dotations.values_list("prescripteur").annotate(n=Sum("carnets")).values_list("prescripteur", "n"))
    handed = dict(
        Carnet.objects.filter(programme=programme, prescripteur__isnull=False)
        .values_list("prescripteur")
        .annotate(n=Count("id"))
        .values_list("prescripteur", "n")
    )
    return [Stock(p, received.get(p.pk, 0), handed.get(p.pk, 0)) for p in programme.prescripteurs.order_by("nom")]


def allocate(programme: Programme, prescripteur: Organisation, carnets: int, who) -> Dotation:
    """Give a prescriber `carnets` more (a negative count takes back some of its stock). The
    programme's allocations never exceed its carnets, nor a prescriber's stock fall below what
    it handed out."""
    if who is not PLATFORM and not may_qualify(who, programme):
        raise Refused("seul le commanditaire du programme répartit ses carnets", 403)
    if not carnets:
        raise Refused("un nombre de carnets non nul", 400)
    if not programme.prescripteurs.filter(pk=prescripteur.pk).exists():
        raise Refused(f"« {prescripteur.nom} » n'est pas prescripteur de ce programme", 400)
    with transaction.atomic():
        Programme.objects.select_for_update().filter(pk=programme.pk).first()  # one allocation at a time per programme
        allocated = programme.dotations.aggregate(n=Sum("carnets"))["n"] or 0
        mine = next(s for s in stocks(programme) if s.prescripteur.pk == prescripteur.pk)
        if allocated + carnets > programme.carnets:
            raise Refused(f"{allocated} carnet(s) déjà répartis sur {programme.carnets} : au plus {programme.carnets - allocated} de plus", 400)
        if mine.recus + carnets < mine.remis:
            raise Refused(f"« {prescripteur.nom} » a déjà remis {mine.remis} carnet(s) : on ne peut lui en reprendre que {mine.restants}", 400)
        return Dotation.objects.create(programme=programme, prescripteur=prescripteur, carnets=carnets, par=None if who is PLATFORM else who)


def _addresses(organisations: list[int]) -> list[str]:
    members = Membership.objects.filter(organisation_id__in=organisations, role__in=policy.EDIT_ROLES)
    return sorted({e for e in members.values_list("user__email", flat=True) if e})


def send_reminders(today: dt.date | None = None) -> list[tuple[Programme, int, int]]:
    """For each programme whose vouchers stop being accepted within 30 (then 15) days, one
    e-mail to the accounts of its funder, of its prescribers and of the places qualified for
    it, once per step (a daily run sends each once, even after a missed day). Returns
    (programme, step, recipients) for each one sent."""
    from django.core.mail import send_mail

    today = today or timezone.localdate()
    sent = []
    for programme in Programme.objects.filter(fin_tolerance__gte=today, fin_tolerance__lte=today + dt.timedelta(days=max(REMINDER_DAYS))):
        left = (programme.fin_tolerance - today).days
        step = min(d for d in REMINDER_DAYS if left <= d)
        if programme.rappels.filter(jours__lte=step).exists():
            continue
        places = {q.lieu.organisation_id for q in _standing_places(programme) if q.lieu.organisation_id}
        recipients = _addresses([programme.financeur_id, *programme.prescripteurs.values_list("pk", flat=True), *places])
        counts = dict(programme.cheques.values_list("etat").annotate(n=Count("id")).values_list("etat", "n"))
        not_handed = Carnet.objects.filter(programme=programme, prescripteur__isnull=True).count()
        body = (
            f"Les chèques du programme « {programme.nom} » ne seront plus acceptés après le {programme.fin_tolerance:%d/%m/%Y}, "
            f"dans {left} jour(s).\n\n"
            f"- chèques remis pas encore utilisés : {counts.get(ATTRIBUE, 0)} ;\n"
            f"- carnets pas encore remis : {not_handed} ({counts.get(EMIS, 0)} chèques)"
            + (
                " : la distribution s'arrête maintenant ; les chèques non utilisés seront recrédités au commanditaire.\n"
                if step <= 15
                else " : à remettre avant la fin.\n"
            )
            + "\nLe détail est sur la page Pass numérique de Terrinum."
        )
        try:
            with transaction.atomic():
                Rappel.objects.create(programme=programme, jours=step, destinataires=len(recipients))
                if recipients:
                    send_mail(f"Pass numérique — fin des chèques dans {left} jour(s) : {programme.nom}", body, None, recipients)
        except IntegrityError:  # another run sent it first
            continue
        sent.append((programme, step, len(recipients)))
    return sent


def _standing_places(programme: Programme) -> list[Qualification]:
    latest: dict[int, Qualification] = {}
    for q in programme.qualifications.select_related("lieu").order_by("quand", "id"):
        latest[q.lieu_id] = q
    return [q for q in latest.values() if q.decision == Qualification.QUALIFIE]


def days_of_use(fin_tolerance: dt.date, today: dt.date | None = None) -> int:
    """Days left to use a programme's vouchers (a programme created late in the year is short)."""
    return max(0, (fin_tolerance - (today or timezone.localdate())).days)
