"""Pass numérique operations, each one transaction: create a programme, hand out a carnet,
redeem a voucher, expire what is left after the tolerance date, settle a month, check the
ledger, purge old beneficiaries. Who may do what: accounts.policy; rules:
docs/pass-numerique.md."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from terrinum.accounts import policy
from terrinum.accounts.models import Organisation
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique import codes
from terrinum.apps.pass_numerique.models import (
    ATTRIBUE,
    EMIS,
    EXPIRE,
    REMBOURSE,
    TRANSITIONS,
    UTILISE,
    Beneficiaire,
    Carnet,
    Cheque,
    EssaiCode,
    LigneReglement,
    Mouvement,
    Programme,
    Qualification,
    Reglement,
)
from terrinum.config import reading
from terrinum.territories.helpers import TerritorySet

WRONG_CODES_ALLOWED, WRONG_CODES_WINDOW = 10, dt.timedelta(minutes=10)
RETENTION_DAYS = 3 * 365  # beneficiaries kept 3 years after their programme's last redemption day


LISTED_AT_CREATION = "lieu désigné par le commanditaire à la création du programme"
# The platform's administrator acting from the command line (`terrinum pass-numerique lieu
# qualifier`): a decision without an account, recorded as such.
PLATFORM = "plateforme"


class Refused(Exception):
    """An operation refused, with its reason in French; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


MAX_PHOTO_BYTES = 15 * 1024 * 1024
PHOTO_SIDE = 1600  # pixels: a phone's photo is scaled down to this before reading


def code_in_photo(upload) -> str:
    """The voucher code of the QR code in a photo (a phone's camera, through the page's file
    field: no JavaScript, any phone). Read with zxing-cpp; the code still goes through its
    check character as if it had been typed. Refused (400) when nothing can be read."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if upload.size > MAX_PHOTO_BYTES:
        raise Refused(f"photo trop lourde ({upload.size // 1_000_000} Mo, au plus {MAX_PHOTO_BYTES // 1_000_000} Mo)", 400)
    try:
        with Image.open(upload) as image:
            image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
            found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:  # Pillow's ways of saying "broken"
        raise Refused("ce fichier n'est pas une photo lisible", 400) from exc
    if not found:
        raise Refused("aucun QR code lisible sur la photo : rapprochez-vous du chèque, ou tapez son code", 400)
    return found[0].text


def _move(cheques, to: str, who=None, organisation=None, lieu_id=None, when=None) -> None:
    """Ledger entries: each voucher from its current state to `to`."""
    when = when or timezone.now()
    Mouvement.objects.bulk_create(
        Mouvement(cheque_id=c.pk, de=c.etat, vers=to, quand=when, auteur=who, organisation=organisation, lieu_id=lieu_id) for c in cheques
    )


def create_programme(
    financeur: Organisation,
    territory: TerritorySet,
    carnets: int,
    per_carnet: int,
    *,
    nom: str | None = None,
    valeur_centimes: int = 1000,
    year: int | None = None,
    prescripteurs: list[Organisation] = (),
    lieux: list[Lieu] = (),
    frais_pour_dix_mille: int = 400,
    fin_validite: dt.date | None = None,
    fin_tolerance: dt.date | None = None,
    imputation: str = "",
    operateur: Organisation | None = None,
    who=None,
) -> Programme:
    """A programme and its carnets of vouchers, all "émis", in one transaction. Valid to
    31 December of the issue year, redeemable to 31 January after (the national rules), unless
    other dates are given (the end of validity not past, the tolerance not before it)."""
    if financeur.type != Organisation.FINANCEUR:
        raise Refused(f"« {financeur.nom} » n'est pas un commanditaire", 400)
    if per_carnet not in (5, 10):
        raise Refused("un carnet compte 5 ou 10 chèques", 400)
    if not 1 <= carnets <= 100_000:
        raise Refused("nombre de carnets entre 1 et 100 000", 400)
    if any(p.type != Organisation.PRESCRIPTEUR for p in prescripteurs):
        raise Refused("un prescripteur du programme n'est pas une organisation de type prescripteur", 400)
    if operateur is not None and operateur.type != Organisation.OPERATEUR:
        raise Refused(f"« {operateur.nom} » n'est pas un opérateur du Pass numérique", 400)
    year = year or timezone.localdate().year
    fin_validite = fin_validite or dt.date(year, 12, 31)
    fin_tolerance = fin_tolerance or (dt.date(year + 1, 1, 31) if fin_validite == dt.date(year, 12, 31) else fin_validite + dt.timedelta(days=31))
    if fin_validite < timezone.localdate():
        raise Refused(f"fin de validité au {fin_validite:%d/%m/%Y} : date passée", 400)
    if fin_tolerance < fin_validite:
        raise Refused("les chèques sont acceptés au moins jusqu'à leur fin de validité", 400)
    niveau, code = territory.single()
    with transaction.atomic():
        programme = Programme.objects.create(
            nom=nom or f"Pass numérique {year} — {financeur.nom}",
            financeur=financeur,
            territoire_niveau=niveau,
            territoire_code=code,
            carnets=carnets,
            cheques_par_carnet=per_carnet,
            valeur_centimes=valeur_centimes,
            fin_validite=fin_validite,
            fin_tolerance=fin_tolerance,
            frais_pour_dix_mille=frais_pour_dix_mille,
            imputation=(imputation or "").strip()[:60],
            operateur=operateur,
        )
        programme.prescripteurs.set(prescripteurs)
        programme.lieux_eligibles.set(lieux)
        now = timezone.now()
        Qualification.objects.bulk_create(
            Qualification(lieu=lieu, programme=programme, decision=Qualification.QUALIFIE, motif=LISTED_AT_CREATION, par=who, organisation=financeur, quand=now)
            for lieu in lieux
        )
        for lieu in lieux:
            refresh_label(lieu, now)
        books = Carnet.objects.bulk_create(Carnet(programme=programme, numero=n + 1) for n in range(carnets))
        cheques = Cheque.objects.bulk_create(Cheque(code=codes.new_code(), programme=programme, carnet=b, etat="") for b in books for _ in range(per_carnet))
        _move(cheques, EMIS, who=who, organisation=financeur)
        Cheque.objects.filter(programme=programme).update(etat=EMIS)
    return programme


def carnet_of(code: str) -> Carnet:
    """The carnet of a voucher's code (Refused: mistyped, 400; unknown, 404)."""
    try:
        cheque = Cheque.objects.select_related("carnet").get(code=codes.normalise(code))
    except codes.CodeError as exc:
        raise Refused(str(exc), 400) from None
    except Cheque.DoesNotExist:
        raise Refused("aucun chèque ne porte ce code", 404) from None
    return cheque.carnet


def check_stock(programme: Programme, prescripteur: Organisation) -> None:
    """Before a carnet is handed out: once its funder allocates the programme's carnets
    (campagne.allocate), the prescriber hands out from its stock only."""
    allocations = programme.dotations.all()
    if not allocations.exists():
        return
    received = allocations.filter(prescripteur=prescripteur).aggregate(n=Sum("carnets"))["n"] or 0
    handed = Carnet.objects.filter(programme=programme, prescripteur=prescripteur).count()
    if received - handed <= 0:
        raise Refused(f"« {prescripteur.nom} » n'a plus de carnet de ce programme : demandez-en au commanditaire", 400)


def attribute(
    carnet: Carnet,
    prescripteur: Organisation,
    *,
    tranche_age: str,
    commune_code: str,
    motif: str,
    profil: str = "",
    nom: str = "",
    finalite_nom: str = "",
    who=None,
) -> Beneficiaire:
    """Hand a carnet to a person (a pseudonymous record): its vouchers go "attribué"."""
    if tranche_age not in dict(Beneficiaire.AGES):
        raise Refused(f"tranche d'âge inconnue : {tranche_age} ({', '.join(dict(Beneficiaire.AGES))})", 400)
    if nom and not finalite_nom:
        raise Refused("un nom n'est gardé qu'avec sa finalité (--finalite-nom)", 400)
    if not motif.strip():
        raise Refused("le motif est obligatoire", 400)
    from terrinum.territories.models import Territory

    if not Territory.objects.filter(niveau="commune", code=commune_code).exists():  # only a real commune is stored
        raise Refused(f"« {commune_code} » n'est pas le code INSEE d'une commune actuelle : indiquez son nom ou son code postal", 400)
    with transaction.atomic():
        carnet = Carnet.objects.select_for_update().select_related("programme").get(pk=carnet.pk)
        if not carnet.programme.prescripteurs.filter(pk=prescripteur.pk).exists():
            raise Refused(f"« {prescripteur.nom} » n'est pas prescripteur de ce programme", 403)
        if carnet.beneficiaire_id is not None or carnet.prescripteur_id is not None:
            raise Refused("ce carnet a déjà été remis")
        check_stock(carnet.programme, prescripteur)
        if timezone.localdate() > carnet.programme.fin_validite:
            raise Refused("le programme de ce carnet a pris fin")
        person = Beneficiaire.objects.create(
            prescripteur=prescripteur,
            tranche_age=tranche_age,
            commune_code=commune_code,
            motif=motif.strip(),
            profil=profil,
            nom=nom,
            finalite_nom=finalite_nom,
        )
        carnet.prescripteur, carnet.beneficiaire, carnet.attribue_le = prescripteur, person, timezone.now()
        carnet.save()
        cheques = list(carnet.cheques.select_for_update().filter(etat=EMIS))
        _move(cheques, ATTRIBUE, who=who, organisation=prescripteur)
        Cheque.objects.filter(pk__in=[c.pk for c in cheques]).update(etat=ATTRIBUE)
    return person


def _throttled(user) -> bool:
    """Whether the account typed too many wrong codes lately; its older wrong codes are
    deleted here (kept no longer than the window)."""
    since = timezone.now() - WRONG_CODES_WINDOW
    EssaiCode.objects.filter(auteur=user, quand__lt=since).delete()
    return EssaiCode.objects.filter(auteur=user, quand__gte=since).count() >= WRONG_CODES_ALLOWED


def _wrong(user, message: str, status: int):
    if user is not None and getattr(user, "is_authenticated", False):
        EssaiCode.objects.create(auteur=user)
    raise Refused(message, status)


def standing(programme: Programme, lieu: Lieu, when: dt.datetime | None = None) -> Qualification | None:
    """The place's last decision for this programme made by `when` (now by default)."""
    return Qualification.objects.filter(programme=programme, lieu=lieu, quand__lte=when or timezone.now()).order_by("-quand", "-id").first()


def eligible(programme: Programme, lieu: Lieu, when: dt.datetime | None = None) -> bool:
    """A place qualified for the programme on that moment (its last decision then is
    « qualifié »), listed by the programme when it lists places, and still inside its
    territory. The place's own label is not read: it is not the place's to give."""
    last = standing(programme, lieu, when)
    if last is None or last.decision != Qualification.QUALIFIE:
        return False
    if programme.lieux_eligibles.exists() and not programme.lieux_eligibles.filter(pk=lieu.pk).exists():
        return False
    return inside_territory(programme, lieu)


def inside_territory(programme: Programme, lieu: Lieu) -> bool:
    return bool(lieu.commune_code) and lieu.commune_code in policy.commune_codes_of(TerritorySet.of(programme.territoire_niveau, programme.territoire_code))


def may_qualify(user, programme: Programme) -> bool:
    """An admin or gestionnaire of the programme's funder or of the operator it mandates for
    this programme, or the platform's administrator."""
    return policy.acts_for(user, Organisation.FINANCEUR, programme.financeur_id) or (
        programme.operateur_id is not None and policy.acts_for(user, Organisation.OPERATEUR, programme.operateur_id)
    )


def acting_organisation(user, programme: Programme) -> Organisation:
    """The organisation a decision on the programme is made for: its funder, or its operator
    when the account acts for the operator only."""
    if programme.operateur_id is not None and user is not PLATFORM and not policy.acts_for(user, Organisation.FINANCEUR, programme.financeur_id):
        return programme.operateur
    return programme.financeur


def qualify(lieu: Lieu, programme: Programme, who, decision: str = Qualification.QUALIFIE, motif: str = "", now: dt.datetime | None = None) -> Qualification:
    """Record a decision on a place for a programme, and keep the place's public label
    « Pass numérique accepté » in step (qualified today for a programme still accepted). A
    refusal, a suspension or a withdrawal needs a reason; a place outside the programme's
    territory cannot be qualified for it."""
    if who is not PLATFORM and not may_qualify(who, programme):
        raise Refused("seul le commanditaire du programme qualifie les lieux qui l'acceptent", 403)
    if decision not in dict(Qualification.DECISIONS):
        raise Refused(f"décision « {decision} » inconnue : {', '.join(dict(Qualification.DECISIONS))}", 400)
    motif = (motif or "").strip()
    if decision != Qualification.QUALIFIE and not motif:
        raise Refused("une décision autre que « qualifié » donne son motif", 400)
    if decision == Qualification.QUALIFIE and not inside_territory(programme, lieu):
        raise Refused(f"« {lieu.nom} » n'est pas dans le territoire du programme « {programme.nom} »", 400)
    now = now or timezone.now()
    with transaction.atomic():
        Lieu.objects.select_for_update().filter(pk=lieu.pk).first()  # one decision at a time per place
        made = Qualification.objects.create(
            lieu=lieu,
            programme=programme,
            decision=decision,
            motif=motif[:500],
            par=None if who is PLATFORM else who,
            organisation=acting_organisation(who, programme),
            quand=now,
        )
        refresh_label(lieu, now)
    return made


def qualify_many(lieux: list[Lieu], programme: Programme, who, decision: str = Qualification.QUALIFIE, motif: str = "") -> list[Qualification]:
    """The same decision for a list of places, in one transaction: one place refused (outside
    the territory, a reason missing…) and nothing is recorded."""
    try:
        with transaction.atomic():
            return [qualify(lieu, programme, who, decision, motif) for lieu in dict.fromkeys(lieux)]
    except Refused as exc:
        raise Refused(f"{exc} ; rien n'est inscrit", exc.status) from None


def places_of_list(text: str) -> list[Lieu]:
    """The places of a list typed or uploaded by a funder: one registry identifier per line
    (blank lines and lines starting with # skipped, a CSV's first column read); an unknown
    identifier is named with its line."""
    wanted = []
    for number, line in enumerate(text.splitlines(), 1):
        ident = line.split(";")[0].split(",")[0].strip().strip('"')
        if ident and not ident.startswith("#") and ident.lower() not in ("id", "identifiant"):
            wanted.append((number, ident))
    if not wanted:
        raise Refused("liste vide : un identifiant de lieu par ligne", 400)
    found = {p.identifiant: p for p in Lieu.objects.filter(identifiant__in=[i for _, i in wanted])}
    unknown = [f"ligne {n} : « {i} »" for n, i in wanted if i not in found]
    if unknown:
        raise Refused(f"lieu(x) inconnu(s) au registre — {', '.join(unknown[:10])}{' …' if len(unknown) > 10 else ''} ; rien n'est inscrit", 400)
    return [found[i] for _, i in wanted]


def refresh_label(lieu: Lieu, now: dt.datetime | None = None) -> bool:
    """The public label « Pass numérique accepté »: qualified now for at least one programme
    whose vouchers are still accepted. Derived, never typed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    accepted = any(eligible(p, lieu, now) for p in Programme.objects.filter(qualifications__lieu=lieu, fin_tolerance__gte=today).distinct())
    if lieu.pass_numerique != accepted:
        Lieu.objects.filter(pk=lieu.pk).update(pass_numerique=accepted)
        lieu.pass_numerique = accepted
    return accepted


def redeem(typed: str, lieu: Lieu, user, now: dt.datetime | None = None) -> Cheque:
    """A voucher used at a place, once. The database guarantees it: the state changes by a
    conditional UPDATE (one writer wins, the others see 0 rows) and the ledger refuses a
    second "utilisé" entry (a unique index). Wrong codes are counted per account."""
    if not policy.acts_for(user, Organisation.LIEU, lieu.organisation_id):
        raise Refused("seul un compte du lieu peut y utiliser un chèque", 403)
    if _throttled(user):
        raise Refused("trop de codes erronés : réessayez dans quelques minutes", 429)
    try:
        code = codes.normalise(typed)
    except codes.CodeError as exc:
        _wrong(user, str(exc), 400)
    now = now or timezone.now()
    cheque = Cheque.objects.select_related("programme").filter(code=code).first()
    if cheque is None:
        _wrong(user, "aucun chèque ne porte ce code", 404)
    if not eligible(cheque.programme, lieu, now):
        raise Refused("ce chèque n'est pas accepté dans ce lieu : le lieu n'est pas qualifié par le commanditaire de son programme", 403)
    if timezone.localdate(now) > cheque.programme.fin_tolerance:
        raise Refused(f"chèque périmé depuis le {cheque.programme.fin_tolerance:%d/%m/%Y}")
    try:
        with transaction.atomic():
            won = Cheque.objects.filter(pk=cheque.pk, etat=ATTRIBUE).update(etat=UTILISE, lieu=lieu, utilise_le=now)
            if won:
                Mouvement.objects.create(cheque=cheque, de=ATTRIBUE, vers=UTILISE, quand=now, auteur=user, organisation_id=lieu.organisation_id, lieu=lieu)
    except IntegrityError:  # the ledger's unique index: another request used it first
        won = 0
    if not won:
        cheque.refresh_from_db()
        reason = {EMIS: "ce chèque n'a pas encore été remis à un bénéficiaire"}.get(
            cheque.etat, f"ce chèque est déjà {dict(Cheque._meta.get_field('etat').choices)[cheque.etat]}"
        )
        raise Refused(reason)
    cheque.refresh_from_db()
    return cheque


def expire(today: dt.date | None = None, who=None) -> dict[int, int]:
    """Vouchers not used by their programme's tolerance date become "expiré" (credited back
    to the funder). Returns vouchers expired per programme; running it again changes nothing."""
    today = today or timezone.localdate()
    out = {}
    with transaction.atomic():
        for programme in Programme.objects.filter(fin_tolerance__lt=today):
            left = list(Cheque.objects.select_for_update().filter(programme=programme, etat__in=(EMIS, ATTRIBUE)))
            if left:
                _move(left, EXPIRE, who=who, organisation=programme.financeur)
                Cheque.objects.filter(pk__in=[c.pk for c in left]).update(etat=EXPIRE)
                out[programme.pk] = len(left)
    return out


def _add(totals: dict, key, vouchers: int, centimes: int) -> None:
    """Adds vouchers and their amount to `totals[key]` ([vouchers, centimes])."""
    total = totals.setdefault(key, [0, 0])
    total[0] += vouchers
    total[1] += centimes


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        start = dt.datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise Refused(f"mois « {month} » invalide : AAAA-MM", 400) from None
    end = (start + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return start.replace(tzinfo=tz), end.replace(tzinfo=tz)


def settle(month: str, today: dt.date | None = None, who=None, pause=None) -> list[Reglement]:
    """The statements of a finished month: per place, the vouchers it redeemed that month,
    paid ("remboursé"). One transaction: a crash leaves nothing; a second run for the same
    month finds nothing left to pay and changes nothing. Set-based for every place at once
    (one INSERT of the statements, one INSERT … SELECT into the ledger, one UPDATE of the
    vouchers): a million vouchers over 5,000 places are not loaded into Python nor walked
    place by place. `pause(0)` is called once everything is written, before the commit
    (tests stop a process there)."""
    start, end = month_bounds(month)
    if (today or timezone.localdate()) < end.date():
        raise Refused(f"le mois {month} n'est pas terminé", 400)
    ledger, vouchers, statements = Mouvement._meta.db_table, Cheque._meta.db_table, Reglement._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    try:
        with transaction.atomic():
            due = Cheque.objects.filter(etat=UTILISE, utilise_le__gte=start, utilise_le__lt=end)
            per_programme = list(
                due.values("lieu_id", "programme_id").annotate(n=Count("id"), total=Sum("programme__valeur_centimes")).order_by("lieu_id", "programme_id")
            )
            if not per_programme:
                return []
            totals: dict[int, list[int]] = {}
            for row in per_programme:
                _add(totals, row["lieu_id"], row["n"], row["total"])
            places = list(totals)
            already = Reglement.objects.filter(mois=month, lieu_id__in=places).values_list("lieu_id", flat=True).first()
            if already is not None:
                raise Refused(f"le lieu {already} a déjà un règlement pour {month} et des chèques non payés : voir docs/pass-numerique.md")
            by_place = {
                r.lieu_id: r
                for r in Reglement.objects.bulk_create(
                    Reglement(lieu_id=place, mois=month, cheques=n, montant_centimes=total) for place, (n, total) in totals.items()
                )
            }
            LigneReglement.objects.bulk_create(
                LigneReglement(reglement=by_place[row["lieu_id"]], programme_id=row["programme_id"], cheques=row["n"], montant_centimes=row["total"])
                for row in per_programme
            )
            ids, params = due.values_list("id", flat=True).query.sql_with_params()
            with connection.cursor() as cur:  # the ledger first: the vouchers are still "utilisé"
                cur.execute(
                    # the place and the statement are the voucher's (`lieu`, `reglement`), not
                    # repeated in each entry: each foreign key is a check per row at commit
                    # (a million vouchers: 15 s of 35, docs/pass-numerique.md)
                    f"INSERT INTO {ledger} (cheque_id, de, vers, quand, auteur_id) SELECT due.id, %s, %s, %s, %s FROM ({ids}) due",
                    [UTILISE, REMBOURSE, now, getattr(who, "pk", None), *params],
                )
                entries = cur.rowcount
                cur.execute(
                    f"""UPDATE {vouchers} SET etat = %s,
                        reglement_id = (SELECT r.id FROM {statements} r WHERE r.lieu_id = {vouchers}.lieu_id AND r.mois = %s)
                        WHERE id IN ({ids})""",
                    [REMBOURSE, month, *params],
                )
                moved = cur.rowcount
            if not entries == moved == sum(n for n, _ in totals.values()):
                raise Refused("des chèques ont changé pendant le règlement : relancez-le")
            made = list(Reglement.objects.filter(mois=month, lieu_id__in=places).order_by("lieu_id"))
            if pause is not None:
                pause(0)
    except IntegrityError as exc:  # another run of the same month committed first
        raise Refused(f"un autre règlement de {month} vient d'être établi : relancez pour vérifier qu'il ne reste rien") from exc
    return made


def funder_summary(programme: Programme) -> dict:
    """Vouchers by state, and the amounts: ordered, used, paid, credited back (expired), and
    the operator's fee on the vouchers ordered."""
    counts = dict(programme.cheques.values_list("etat").annotate(n=Count("id")).values_list("etat", "n"))
    value = programme.valeur_centimes
    return {
        "etats": counts,
        "utilises_centimes": (counts.get(UTILISE, 0) + counts.get(REMBOURSE, 0)) * value,
        "rembourses_centimes": counts.get(REMBOURSE, 0) * value,
        "credites_centimes": counts.get(EXPIRE, 0) * value,
        # the operator's fee: a share (excl. VAT) of the face value of the vouchers ordered,
        # invoiced with the order (the national operator's rule), whatever becomes of them
        "commandes_centimes": programme.carnets * programme.cheques_par_carnet * value,
        "frais_centimes": programme.carnets * programme.cheques_par_carnet * value * programme.frais_pour_dix_mille // 10_000,
    }


def reach(programme: Programme) -> dict | None:
    """Vouchers of the programme used per 1,000 people at risk in its territory."""
    risk = reading("pass-numerique.personnes-a-risque")(programme.territoire_niveau, programme.territoire_code)  # pillars/pass_numerique/reach.py
    if not risk or not risk["personnes"]:
        return None
    used = programme.cheques.filter(etat__in=(UTILISE, REMBOURSE)).count()
    return {**risk, "utilises": used, "pour_mille": 1000 * used / risk["personnes"]}


def use_by_commune(programme: Programme) -> list[tuple[str, int]]:
    """Vouchers used, by commune of the beneficiaries."""
    rows = (
        programme.cheques.filter(etat__in=(UTILISE, REMBOURSE))
        .values_list("carnet__beneficiaire__commune_code")
        .annotate(n=Count("id"))
        .order_by("carnet__beneficiaire__commune_code")
    )
    return [(code or "—", n) for code, n in rows]


def check_ledger() -> list[str]:
    """Problems where a voucher's state and its ledger disagree, where the ledger holds a
    transition the rules do not allow, where a paid voucher's statement is not its place's
    for the month it was used, or where a statement's lines and totals are not what its
    vouchers add up to (empty: they agree)."""
    problems = []
    last: dict[int, str] = {}
    for cheque_id, de, vers in Mouvement.objects.order_by("cheque_id", "id").values_list("cheque_id", "de", "vers").iterator(chunk_size=10_000):
        before = last.get(cheque_id, "")
        if de != before or vers not in TRANSITIONS.get(before, set()):
            problems.append(f"chèque {cheque_id} : mouvement {de or '∅'} → {vers} après {before or '∅'}")
        last[cheque_id] = vers
    statements = {r.pk: (r, *month_bounds(r.mois)) for r in Reglement.objects.all()}
    paid: dict[tuple[int, int], list[int]] = {}  # (statement, programme): vouchers, amount
    values = dict(Programme.objects.values_list("pk", "valeur_centimes"))
    rows = Cheque.objects.values_list("id", "code", "etat", "lieu_id", "utilise_le", "reglement_id", "programme_id")
    for cheque_id, code, etat, lieu_id, used, reglement_id, programme_id in rows.iterator(chunk_size=10_000):
        if last.get(cheque_id, "") != etat:
            problems.append(f"chèque {code} : état {etat}, registre {last.get(cheque_id) or 'vide'}")
        if (etat == REMBOURSE) != (reglement_id is not None):
            problems.append(f"chèque {code} : état {etat}, {f'relevé {reglement_id}' if reglement_id else 'sans relevé'}")
        elif reglement_id is not None:
            r, start, end = statements.get(reglement_id, (None, None, None))
            if r is None or r.lieu_id != lieu_id or used is None or not start <= used < end:
                problems.append(f"chèque {code} : le relevé {reglement_id} n'est pas celui de son lieu pour le mois de son utilisation")
            _add(paid, (reglement_id, programme_id), 1, values[programme_id])
    lines = {(line.reglement_id, line.programme_id): [line.cheques, line.montant_centimes] for line in LigneReglement.objects.all()}
    for key in sorted(paid.keys() | lines.keys()):
        if paid.get(key) != lines.get(key):
            problems.append(f"relevé {key[0]}, programme {key[1]} : {paid.get(key, [0, 0])[0]} chèque(s) payé(s), {lines.get(key, [0, 0])[0]} à sa ligne")
    summed: dict[int, list[int]] = {}
    for (reglement_id, _), (n, amount) in lines.items():
        _add(summed, reglement_id, n, amount)
    for r, _, _ in statements.values():
        if [r.cheques, r.montant_centimes] != summed.get(r.pk, [0, 0]):
            problems.append(f"relevé {r.pk} : ses totaux ne sont pas la somme de ses lignes")
    return problems


def purge_beneficiaries(today: dt.date | None = None, days: int = RETENTION_DAYS) -> int:
    """Delete the beneficiaries whose programme ended (tolerance date) more than `days` days
    ago; their carnets stay, anonymous. Returns how many were deleted."""
    cutoff = (today or timezone.localdate()) - dt.timedelta(days=days)
    with transaction.atomic():
        old = Beneficiaire.objects.filter(carnets__programme__fin_tolerance__lt=cutoff).distinct()
        return old.delete()[0] if old.exists() else 0


def statement_lines(r: Reglement, funders: set[int] | None = None):
    """The vouchers of a statement, as seen by its reader: all of them for the place (and the
    platform's administrator, `funders` None), only those of its own programmes for a funder
    (another funder's voucher codes are not its to see)."""
    found = Cheque.objects.filter(lieu_id=r.lieu_id, reglement=r).order_by("utilise_le", "id")  # through the place's index
    if funders is not None:
        found = found.filter(programme__financeur_id__in=funders)
    return found.values_list("code", "utilise_le", "programme__valeur_centimes")


def statement_csv(r: Reglement, funders: set[int] | None = None) -> str:
    """A place's statement for a month: one line per voucher (code, time of use, value), the
    reader's own (statement_lines)."""
    import csv
    import io

    buffer = io.StringIO()
    w = csv.writer(buffer, delimiter=";")
    w.writerow(["lieu", "mois", "code", "utilise_le", "valeur_eur"])
    for code, when, value in statement_lines(r, funders):
        w.writerow([r.lieu.nom, r.mois, codes.display(code), timezone.localtime(when).isoformat(timespec="seconds"), f"{value / 100:.2f}"])
    return buffer.getvalue()


def statement_pdf(r: Reglement, funders: set[int] | None = None) -> bytes:
    """The same statement as a tagged PDF (WeasyPrint), to file or send."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    rows = [{"code": codes.display(code), "quand": timezone.localtime(when), "valeur": value} for code, when, value in statement_lines(r, funders)]
    context = {"r": r, "lignes": rows, "aujourdhui": timezone.localdate(), "partiel": funders is not None, "total_lignes": sum(x["valeur"] for x in rows)}
    html = render_to_string("pass_numerique/releve_pdf.html", context)
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def amounts(reglements) -> int:
    return reglements.aggregate(total=Sum("montant_centimes"))["total"] or 0


def carnets_pdf(programme: Programme, numeros: list[int] | None = None) -> bytes:
    """The printable carnets of a programme (all, or some numbers): one page per carnet, each
    voucher with its code in text and as a QR code (segno), as a tagged PDF (WeasyPrint)."""
    import segno
    from django.template.loader import render_to_string
    from weasyprint import HTML

    books = programme.carnets_emis.order_by("numero").prefetch_related("cheques")
    if numeros:
        books = books.filter(numero__in=numeros)
    pages = [
        {
            "numero": b.numero,
            "cheques": [
                {"code": codes.display(c.code), "qr": segno.make(codes.display(c.code), error="m").svg_inline(scale=3, border=2, omitsize=False)}
                for c in sorted(b.cheques.all(), key=lambda c: c.pk)
            ],
        }
        for b in books
    ]
    html = render_to_string("pass_numerique/carnets_pdf.html", {"p": programme, "carnets": pages})
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


MIN_ANSWERS = 10  # answers of a territory are shown together only from this many on


MAX_ANSWERS_PER_SOURCE = 5  # self-assessments kept per connection and per day


def answer_source(address: str, day: dt.date | None = None) -> str:
    """The keyed hash of a client address and a day that groups a connection's answers of one
    day (HMAC-SHA256 with the platform's secret key, 16 hex characters)."""
    import hashlib
    import hmac

    from django.conf import settings

    day = day or timezone.localdate()
    return hmac.new(settings.SECRET_KEY.encode(), f"{address}|{day.isoformat()}".encode(), hashlib.sha256).hexdigest()[:16]


def record_self_assessment(commune_code: str, answers: dict, source: str = ""):
    """Keep an anonymous assessment (the commune and the answers); returns (its result,
    whether it was kept: not when its connection already gave MAX_ANSWERS_PER_SOURCE today,
    the person still gets the result and the figures are not flooded)."""
    from terrinum.apps.pass_numerique import besoins
    from terrinum.apps.pass_numerique.models import Autodiagnostic

    result = besoins.assess(answers)
    recorded = not source or Autodiagnostic.objects.filter(source=source).count() < MAX_ANSWERS_PER_SOURCE
    if recorded:
        Autodiagnostic.objects.create(
            commune_code=commune_code, reponses=besoins.validate(answers), profil=result.profil, jour=timezone.localdate(), source=source
        )
    return result, recorded


def assessments_in(communes: list[str] | None) -> dict | None:
    """The assessments of the people of these communes (None: everywhere): how many, the
    share of each profile and of each kind of help, or None under MIN_ANSWERS distinct
    connection-days."""
    from terrinum.apps.pass_numerique import besoins
    from terrinum.apps.pass_numerique.models import Autodiagnostic

    found = Autodiagnostic.objects.all() if communes is None else Autodiagnostic.objects.filter(commune_code__in=communes)
    # One answer per connection and day (its first): a flood from one connection counts once,
    # so nobody fills a small commune up to the threshold to read the next answer exactly.
    rows, sources = [], set()
    for reponses, source in found.order_by("id").values_list("reponses", "source"):
        if source and source in sources:
            continue
        sources.add(source)
        rows.append(reponses)
    if len(rows) < MIN_ANSWERS:
        return None
    results = [besoins.assess(r) for r in rows]
    share = lambda n: round(100 * n / len(results), 1)  # noqa: E731
    return {
        "reponses": len(results),
        "profils": [(label, share(sum(r.profil == key for r in results))) for key, label, *_ in besoins.PROFILES],
        "services": sorted(((s, share(sum(s in r.services for r in results))) for s in {s for r in results for s in r.services}), key=lambda x: -x[1]),
    }
