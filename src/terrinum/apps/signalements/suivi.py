"""After the proposal: the ministerial orders of the targeted-coverage scheme, each zone's
progress (designated → site identified → in service / abandoned) and its delay against the
order's deadline (24 months), the follow-up figures of a département, and a mail to the élus
who reported in a zone at each step. A site put in service after its deadline stays counted
late. Rules and sources: docs/couverture.md, « Arrêtés et suivi »."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.utils import timezone

from terrinum.apps.signalements.models import OPERATORS, Arrete, Campagne, EtapeZone, PhotoZone, SiteNewDeal, Zone
from terrinum.apps.signalements.services import Refused
from terrinum.sources.common import Problem

OPERATOR_CODES = {code: code for code, _ in OPERATORS} | {name.lower(): code for code, name in OPERATORS} | {"orange": "OF", "bouygues": "BOUY", "free": "FREE"}
ORDER_COLUMNS = ("numero_arrete", "date_arrete", "zone", "operateurs")
MAX_ORDER_BYTES = 2_000_000


def _operators(text: str) -> list[str]:
    found = []
    for part in (p.strip() for p in text.replace(";", ",").replace("+", ",").split(",")):
        if not part:
            continue
        code = OPERATOR_CODES.get(part) or OPERATOR_CODES.get(part.lower())
        if code is None:
            raise ValueError(f"opérateur inconnu : « {part} » (Orange, SFR, Bouygues Telecom, Free Mobile, ou OF, SFR0, BOUY, FREE)")
        if code not in found:
            found.append(code)
    if not found:
        raise ValueError("au moins un opérateur désigné")
    return found


def _notify(zone: Zone, step: EtapeZone) -> int:
    """A mail to the élus and agents who reported in the zone (those with an address)."""
    from django.core.mail import send_mail

    addresses = sorted({e for e in zone.signalements.values_list("auteur__email", flat=True) if e})
    if not addresses:
        return 0
    label = dict(Zone.ETAPES).get(step.etape, step.etape)
    when = f" le {step.date:%d/%m/%Y}" if step.date else ""
    body = (
        f"La zone {zone.numero} ({zone.departement_code}), où vous avez signalé une mauvaise couverture mobile, a changé d'étape : "
        f"{label.lower()}{when}.\n"
        + (
            f"Arrêté n° {zone.arrete.numero} du {zone.arrete.date:%d/%m/%Y} ; mise en service attendue au plus tard le {zone.arrete.echeance:%d/%m/%Y}.\n"
            if zone.arrete
            else ""
        )
        + (f"{step.note}\n" if step.note else "")
        + "\nLe détail est sur la page de votre signalement dans Terrinum."
    )
    send_mail(f"Couverture mobile — zone {zone.numero} : {label.lower()}", body, None, addresses)
    return len(addresses)


def _step(zone: Zone, etape: str, user, date: dt.date | None = None, note: str = "") -> EtapeZone:
    made = EtapeZone.objects.create(zone=zone, etape=etape, date=date, par=user, note=note)
    made.courriels = _notify(zone, made)
    made.save(update_fields=["courriels"])
    return made


def record_order(departement: str, numero: str, date: dt.date, operateurs: list[str], zones: list[Zone], user) -> Arrete:
    """An order designating proposed zones of the département; deadline 24 months after it."""
    numero = (numero or "").strip()
    if not numero:
        raise Refused(["numéro de l'arrêté : obligatoire"])
    if date > timezone.localdate():
        raise Refused([f"date de l'arrêté au {date:%d/%m/%Y} : dans le futur"])
    wrong = [z.numero for z in zones if z.departement_code != departement or z.decision != Zone.PROPOSE]
    if wrong:
        raise Refused([f"zone(s) {', '.join(map(str, wrong))} : seule une zone proposée à l'arrêté, de ce département, peut y être désignée"])
    taken = [z.numero for z in zones if z.arrete_id is not None]
    if taken:
        raise Refused([f"zone(s) {', '.join(map(str, taken))} : déjà désignée(s) par un arrêté"])
    try:
        with transaction.atomic():
            order = Arrete.objects.create(
                departement_code=departement,
                numero=numero,
                date=date,
                echeance=date + relativedelta(months=Arrete.DELAI_MOIS),
                operateurs=operateurs,
                cree_par=user,
            )
            for z in zones:
                Zone.objects.filter(pk=z.pk).update(arrete=order, etape=Zone.ORDONNEE)
                z.arrete, z.etape = order, Zone.ORDONNEE
                _step(z, Zone.ORDONNEE, user, date, f"Opérateur(s) désigné(s) : {', '.join(dict(OPERATORS)[o] for o in operateurs)}.")
    except IntegrityError:
        raise Refused([f"l'arrêté n° {numero} est déjà enregistré pour ce département"]) from None
    return order


def import_orders(departement: str, content: bytes, name: str, user) -> list[Arrete]:
    """Orders from a CSV file (`;` or `,`): numero_arrete, date_arrete (JJ/MM/AAAA or
    AAAA-MM-JJ), zone (its number in the département), operateurs; one line per zone. Every
    problem named by file, line and field; nothing written unless all is right."""
    if len(content) > MAX_ORDER_BYTES:
        raise Refused([f"{name} : fichier trop lourd (2 Mo au plus)"])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused([f"{name} : ce n'est pas du texte UTF-8"]) from None
    lines = text.splitlines()
    if not lines:
        raise Refused([f"{name} : fichier vide"])
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if lines[0].count(";") >= lines[0].count(",") else ",")
    missing = [c for c in ORDER_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Refused([Problem(name, 1, c, f"colonne absente (attendu : {', '.join(ORDER_COLUMNS)})") for c in missing])
    problems, orders = [], {}
    zones = {z.numero: z for z in Zone.objects.filter(departement_code=departement)}
    for n, row in enumerate(reader, start=2):
        numero = (row["numero_arrete"] or "").strip()
        try:
            raw = (row["date_arrete"] or "").strip()
            date = dt.datetime.strptime(raw, "%d/%m/%Y").date() if "/" in raw else dt.date.fromisoformat(raw)
        except ValueError:
            problems.append(Problem(name, n, "date_arrete", f"« {row['date_arrete']} » n'est pas une date (JJ/MM/AAAA)"))
            continue
        try:
            zone = zones[int(row["zone"])]
        except (KeyError, ValueError, TypeError):
            problems.append(Problem(name, n, "zone", f"« {row['zone']} » n'est pas le numéro d'une zone de ce département"))
            continue
        try:
            ops = _operators(row["operateurs"] or "")
        except ValueError as exc:
            problems.append(Problem(name, n, "operateurs", str(exc)))
            continue
        if not numero:
            problems.append(Problem(name, n, "numero_arrete", "obligatoire"))
            continue
        known = orders.setdefault(numero, {"date": date, "operateurs": ops, "zones": [], "ligne": n})
        if known["date"] != date or known["operateurs"] != ops:
            problems.append(Problem(name, n, "date_arrete", f"l'arrêté {numero} a déjà, ligne {known['ligne']}, une autre date ou d'autres opérateurs"))
            continue
        known["zones"].append(zone)
    if problems:
        raise Refused(problems)
    made = []
    with transaction.atomic():
        for numero, o in orders.items():
            existing = Arrete.objects.filter(departement_code=departement, numero=numero).first()
            if existing is not None and {z.pk for z in o["zones"]} <= set(existing.zones.values_list("pk", flat=True)):
                continue  # re-importing the same file changes nothing
            try:
                made.append(record_order(departement, numero, o["date"], o["operateurs"], o["zones"], user))
            except Refused as exc:
                raise Refused([Problem(name, o["ligne"], "zone", str(p)) for p in exc.problems]) from None
    return made


def advance(zone: Zone, etape: str, user, date: dt.date | None = None, motif: str = "") -> Zone:
    """A designated zone's next step: site identified, in service (its date), abandoned (its reason)."""
    if zone.arrete_id is None:
        raise Refused(["cette zone n'est désignée par aucun arrêté"])
    if etape not in (Zone.SITE_IDENTIFIE, Zone.EN_SERVICE, Zone.ABANDONNEE):
        raise Refused([f"étape inconnue : {etape}"])
    if zone.etape in (Zone.EN_SERVICE, Zone.ABANDONNEE):
        raise Refused([f"zone {zone.numero} : déjà « {zone.get_etape_display().lower()} »"])
    if etape == Zone.EN_SERVICE and date is None:
        raise Refused(["date de mise en service : obligatoire"])
    if date is not None and (date > timezone.localdate() or date < zone.arrete.date):
        raise Refused([f"date au {date:%d/%m/%Y} : entre l'arrêté et aujourd'hui"])
    if etape == Zone.ABANDONNEE and not motif.strip():
        raise Refused(["une zone abandonnée donne son motif"])
    with transaction.atomic():
        zone = Zone.objects.select_for_update().get(pk=zone.pk)  # (PostgreSQL locks no outer join: the order is read after)
        zone.etape, zone.etape_motif = etape, motif.strip()
        if etape == Zone.EN_SERVICE:
            zone.en_service_le = date
        zone.save(update_fields=["etape", "etape_motif", "en_service_le"])
        late = zone.retard_jours(timezone.localdate())
        note = motif.strip() or (f"Mise en service avec {late} jour(s) de retard sur l'échéance de l'arrêté." if etape == Zone.EN_SERVICE and late else "")
        _step(zone, etape, user, date, note)
    return zone


@dataclass
class FollowUp:
    """A département's zones after the proposal."""

    par_etape: dict[str, int] = field(default_factory=dict)
    delai_median_jours: float | None = None  # order to going into service
    en_retard: list[tuple[Zone, int]] = field(default_factory=list)  # still late or put in service late
    retards_par_operateur: dict[str, int] = field(default_factory=dict)


def follow_up(departement: str | None, today: dt.date | None = None) -> FollowUp:
    """Zones by step, the median delay from order to service, the late ones (a site put in
    service late stays counted) and the late ones per designated operator; `departement`
    None: France."""
    today = today or timezone.localdate()
    zones = Zone.objects.filter(arrete__isnull=False).select_related("arrete")
    if departement:
        zones = zones.filter(departement_code=departement)
    out = FollowUp()
    delays = []
    for z in zones:
        out.par_etape[z.etape] = out.par_etape.get(z.etape, 0) + 1
        if z.etape == Zone.EN_SERVICE and z.en_service_le:
            delays.append((z.en_service_le - z.arrete.date).days)
        late = z.retard_jours(today)
        if late:
            out.en_retard.append((z, late))
            for o in z.arrete.operateurs:
                out.retards_par_operateur[o] = out.retards_par_operateur.get(o, 0) + 1
    out.delai_median_jours = statistics.median(delays) if delays else None
    out.en_retard.sort(key=lambda x: -x[1])
    return out


def follow_up_by_departement(today: dt.date | None = None) -> list[tuple[str, FollowUp]]:
    """The follow-up of every département with designated zones (France's page)."""
    today = today or timezone.localdate()
    codes = sorted(set(Zone.objects.filter(arrete__isnull=False).values_list("departement_code", flat=True)))
    return [(code, follow_up(code, today)) for code in codes]


# --- the sites of ARCEP's New Deal file -----------------------------------------------------


def _order_key(numero: str) -> str:
    """An order's number as written in different files (« n° 2021-123 », « 2021 123 »…)."""
    text = (numero or "").lower().replace("n°", "").replace("no ", "")
    return "".join(ch for ch in text if ch.isalnum())


@dataclass
class Matching:
    millesime: str | None
    demo: bool
    lies: list[SiteNewDeal] = field(default_factory=list)  # matched now
    deja_lies: int = 0
    mis_en_service: list[Zone] = field(default_factory=list)  # zones the file put in service
    a_rapprocher: list[SiteNewDeal] = field(default_factory=list)  # sites for a person to match
    zones_sans_site: list[Zone] = field(default_factory=list)


def match_sites(departement: str, user, today: dt.date | None = None) -> Matching:
    """Bring the département's sites of ARCEP's file in and link each to its zone when exactly
    one zone has the same order and contains the site's commune (a commune of its reports);
    a site the file says in service puts its zone in service at that date (its delay kept).
    The rest are listed for a person to match (`link_site`). Running it again links nothing
    twice."""
    from terrinum.config import reading

    found = reading("couverture.sites-new-deal")(departement)
    out = Matching(found["millesime"], found["demo"])
    zones = list(Zone.objects.filter(departement_code=departement, arrete__isnull=False).select_related("arrete").prefetch_related("signalements"))
    communes = {z.pk: {s.commune_code for s in z.signalements.all()} for z in zones}
    with transaction.atomic():
        for s in found["sites"]:
            site, _ = SiteNewDeal.objects.update_or_create(
                departement_code=departement,
                num_arrete=s["num_arrete"],
                code_commune=s["code_commune"],
                operateurs=s["operateurs"],
                defaults={k: s[k] for k in ("date_publication", "echeance", "en_service", "date_mise_en_service")}
                | {"millesime": found["millesime"], "demo": found["demo"]},
            )
            if site.zone_id is None:
                candidates = [z for z in zones if _order_key(z.arrete.numero) == _order_key(site.num_arrete) and site.code_commune in communes[z.pk]]
                if len(candidates) != 1:
                    out.a_rapprocher.append(site)
                    continue
                site.zone, site.lie_le = candidates[0], timezone.now()
                site.save(update_fields=["zone", "lie_le"])
                out.lies.append(site)
            else:
                out.deja_lies += 1
            if _put_in_service(site, user, today):
                out.mis_en_service.append(site.zone)
        linked = set(SiteNewDeal.objects.filter(departement_code=departement, zone__isnull=False).values_list("zone_id", flat=True))
        out.zones_sans_site = [z for z in zones if z.pk not in linked and z.etape != Zone.ABANDONNEE]
    return out


def _put_in_service(site: SiteNewDeal, user, today: dt.date | None) -> bool:
    zone = Zone.objects.select_related("arrete").get(pk=site.zone_id)
    if not site.en_service or site.date_mise_en_service is None or zone.etape in (Zone.EN_SERVICE, Zone.ABANDONNEE):
        return False
    if site.date_mise_en_service > (today or timezone.localdate()) or site.date_mise_en_service < zone.arrete.date:
        return False
    advance(zone, Zone.EN_SERVICE, user, site.date_mise_en_service, f"D'après le fichier des sites de l'ARCEP (millésime {site.millesime}).")
    return True


def link_site(site: SiteNewDeal, zone: Zone, user, today: dt.date | None = None) -> SiteNewDeal:
    """A person matches a site of the file with a zone of the same département designated by
    an order (the site's order need not be written the same way)."""
    if zone.departement_code != site.departement_code:
        raise Refused([f"la zone {zone.numero} n'est pas du département {site.departement_code}"])
    if zone.arrete_id is None:
        raise Refused([f"la zone {zone.numero} n'est désignée par aucun arrêté"])
    with transaction.atomic():
        site.zone, site.lie_par, site.lie_le = zone, user, timezone.now()
        site.save(update_fields=["zone", "lie_par", "lie_le"])
        _put_in_service(site, user, today)
    return site


# --- the year's campaign ----------------------------------------------------------------------


@dataclass
class CampaignView:
    annee: int
    dotation: int | None
    proposees: list[Zone]  # ranked, best first

    @property
    def au_dela(self) -> list[Zone]:
        """Proposals beyond the allotment (ranked last): the national level will not take them."""
        return self.proposees[self.dotation :] if self.dotation is not None else []


def set_allocation(departement: str, annee: int, dotation: int, user) -> Campagne:
    if not 2018 <= annee <= 2100:
        raise Refused([f"année {annee} : entre 2018 (le New Deal) et 2100"])
    if not 0 <= dotation <= 500:
        raise Refused([f"dotation {dotation} : un nombre de zones entre 0 et 500"])
    found, _ = Campagne.objects.update_or_create(departement_code=departement, annee=annee, defaults={"dotation": dotation, "modifie_par": user})
    return found


def campaign(departement: str, annee: int) -> CampaignView:
    """The year's allotment and the zones the team proposed that year (decided « proposée »
    during the year), in the order of their score."""
    allotted = Campagne.objects.filter(departement_code=departement, annee=annee).values_list("dotation", flat=True).first()
    proposed = list(
        Zone.objects.filter(departement_code=departement, decision=Zone.PROPOSE, decide_le__year=annee)
        .prefetch_related("signalements")
        .order_by("-score", "numero")
    )
    return CampaignView(annee, allotted, proposed)


MAX_PHOTO_BYTES = 5 * 1024 * 1024


def annotate(zone: Zone, user, notes: str | None = None, photo: tuple[str, bytes, str] | None = None) -> Zone:
    """The justification sheet's notes, and a photo (name, content, caption): PNG or JPEG,
    read by content, 5 MB at most."""
    import hashlib

    with transaction.atomic():
        if notes is not None:
            zone.notes = notes.strip()[:5000]
            zone.save(update_fields=["notes"])
        if photo is not None:
            name, content, caption = photo
            kind = "image/png" if content.startswith(b"\x89PNG\r\n\x1a\n") else "image/jpeg" if content.startswith(b"\xff\xd8\xff") else None
            if kind is None:
                raise Refused([f"{name} : une photo PNG ou JPEG est attendue"])
            if len(content) > MAX_PHOTO_BYTES:
                raise Refused([f"{name} : au plus 5 Mo"])
            PhotoZone.objects.create(
                zone=zone, nom=name[:200], legende=(caption or "").strip()[:300], type_mime=kind, taille=len(content),
                sha256=hashlib.sha256(content).hexdigest(), contenu=content, deposee_par=user,
            )  # fmt: skip
    return zone
