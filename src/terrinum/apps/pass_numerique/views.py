"""Pages of the Pass numérique for accounts: the place redeems (on a phone) and downloads its
statements; the prescriber hands a carnet out; the funder follows its programmes. One page,
/pass-numerique/, with the sections of the account's roles; every action asks the policy
through the services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from terrinum.accounts import policy
from terrinum.accounts.addresses import client_address
from terrinum.accounts.models import Organisation
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique import besoins, campagne, codes, dossiers, factures, paiements, rapport, services
from terrinum.apps.pass_numerique.models import (
    Beneficiaire,
    Cheque,
    CompteFinanceur,
    Facturation,
    Facture,
    LigneReglement,
    Piece,
    Programme,
    Qualification,
    Reglement,
    Structure,
)
from terrinum.svg import Feature, fixed_class, fixed_legend, group_of, render_map
from terrinum.territories.helpers import COMMUNE_COLUMN, TerritorySet
from terrinum.territories.models import Territory


def _places(user):
    scope = policy.acting_scope(user, Organisation.LIEU)
    return (Lieu.objects.filter(pass_numerique=True) if scope is None else Lieu.objects.filter(organisation_id__in=scope)).order_by("nom")


def _organisations(user, kind: str):
    scope = policy.acting_scope(user, kind)
    return Organisation.objects.filter(type=kind, **({} if scope is None else {"pk__in": scope})).order_by("nom")


def _prescribers(user):
    return _organisations(user, Organisation.PRESCRIPTEUR)


def _funders(user):
    """The funders for which this account orders vouchers (admin or gestionnaire)."""
    return list(_organisations(user, Organisation.FINANCEUR))


def _operators(user):
    """The operators for which this account acts (admin or gestionnaire)."""
    return list(_organisations(user, Organisation.OPERATEUR))


def _programmes(user):
    """The programmes of the funders this account reads, and those of the operators it reads
    (an operator sees the programmes it operates, not another operator's)."""
    found = Programme.objects.select_related("financeur", "operateur").order_by("-id")
    scope = policy.reading_scope(user, Organisation.FINANCEUR)
    if scope is None:
        return found
    return found.filter(Q(financeur_id__in=scope) | Q(operateur_id__in=policy.reading_organisations(user, Organisation.OPERATEUR)))


def _funder_view(programme: Programme, user) -> dict:
    summary = services.funder_summary(programme)
    by_place = (
        programme.cheques.filter(etat__in=("utilise", "rembourse")).values("lieu__nom", "lieu__commune").annotate(n=Count("id")).order_by("-n", "lieu__nom")
    )
    by_commune = services.use_by_commune(programme)
    names = dict(Territory.objects.filter(niveau="commune", code__in=[c for c, _ in by_commune]).values_list("code", "nom"))
    rate = f"{programme.frais_pour_dix_mille / 100:g} %".replace(".", ",")
    return {
        "p": programme,
        "resume": summary,
        "portee": services.reach(programme),
        "communes": [(names.get(c, "commune inconnue"), c, n) for c, n in by_commune],
        "lieux": list(by_place),
        "taux": rate,
        "stocks": campagne.stocks(programme),
        "jours_restants": campagne.days_of_use(programme.fin_tolerance),
        "carte": _use_map(programme, dict(by_commune)),
        "factures": list(programme.factures.select_related("origine").order_by("rang")),
        "emettre": factures.may_issue(user, programme),
        "legende": fixed_legend(USE_BINS, ""),
        **_qualifications(programme, user),
    }


MAX_PLACES_LISTED = 1000


def _qualifications(programme: Programme, user) -> dict:
    """For the funder's accounts: each place's standing decision for the programme, and the
    places of the territory it may decide on."""
    if not services.may_qualify(user, programme):
        return {"qualifiable": False}
    latest: dict[int, Qualification] = {}
    for q in programme.qualifications.select_related("lieu", "par").order_by("quand", "id"):
        latest[q.lieu_id] = q
    communes = policy.commune_codes_of(TerritorySet.of(programme.territoire_niveau, programme.territoire_code))
    places = Lieu.objects.filter(commune_code__in=communes).order_by("nom")[:MAX_PLACES_LISTED]
    waiting = [q for q in latest.values() if q.decision == Qualification.DEMANDE]
    files = {s.lieu_id: s for s in Structure.objects.filter(lieu_id__in=[q.lieu_id for q in waiting]).prefetch_related("pieces")}
    return {
        "qualifiable": True,
        "qualifications": sorted(latest.values(), key=lambda q: q.lieu.nom),
        "demandes": [(q, files.get(q.lieu_id)) for q in sorted(waiting, key=lambda q: q.quand)],
        "lieux_du_territoire": places,
    }


def _place_files(places: list[Lieu], typed: dict | None = None) -> list[dict]:
    """For each of the account's places: its file (the values typed when the form was refused,
    `typed`: {place pk: fields}), what it lacks, its standing per programme it may apply to
    (programmes of its territory still accepted)."""
    today = timezone.localdate()
    out = []
    for lieu in places:
        structure = Structure.objects.filter(lieu=lieu).prefetch_related("pieces").first()
        values = {k: getattr(structure, k) for k in (*dossiers.FIELDS, "publique")} if structure else {}
        values.update((typed or {}).get(lieu.pk, {}))
        programmes = [p for p in Programme.objects.filter(fin_tolerance__gte=today).order_by("-id")[:200] if services.inside_territory(p, lieu)]
        out.append(
            {
                "lieu": lieu,
                "structure": structure,
                "valeurs": values,
                "ouvert": lieu.pk in (typed or {}),
                "manque": dossiers.missing(structure),
                "programmes": [(p, services.standing(p, lieu)) for p in programmes],
            }
        )
    return out


def _prescriber_stocks(prescribers: list[Organisation]) -> list[tuple[Programme, campagne.Stock]]:
    """For the prescriber accounts: their stock of carnets in each programme that allocates."""
    out = []
    for p in (
        Programme.objects.filter(prescripteurs__in=prescribers, dotations__isnull=False, fin_validite__gte=timezone.localdate()).distinct().order_by("-id")
    ):
        out += [(p, stock) for stock in campagne.stocks(p) if stock.prescripteur in prescribers]
    return out


def _optional_date(text: str, label: str):
    import datetime as dt

    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise services.Refused(f"{label} : une date (AAAA-MM-JJ)", 400) from None


def _funder_payments(funders: list[Organisation], operators: list[Organisation]) -> list[dict]:
    """Per funder the account acts for: its paying account and the months with statements;
    for an operator's account, the same for the funders whose programmes it operates (the
    files then hold those programmes only, and the account is the funder's to keep)."""
    out = []
    operated = Organisation.objects.filter(programmes_pass__operateur__in=operators).exclude(pk__in=[f.pk for f in funders]).distinct().order_by("nom")
    for f in [*funders, *operated]:
        mine = f in funders
        months = (
            LigneReglement.objects.filter(programme__financeur=f, **({} if mine else {"programme__operateur__in": operators}))
            .values_list("reglement__mois", flat=True)
            .distinct()
            .order_by("-reglement__mois")
        )
        out.append({"financeur": f, "compte": CompteFinanceur.objects.filter(financeur=f).first(), "mois": list(months[:24]), "opere": not mine})
    return out


USE_BINS = [1, 5, 20, 50, 100]  # vouchers used by the people of a commune
MAX_COMMUNES_DRAWN = 2000


def _use_map(programme: Programme, used: dict[str, int]) -> str:
    """The programme's communes classed by the vouchers their people used (no map beyond
    MAX_COMMUNES_DRAWN communes: a région or France; the table says the same)."""
    column = COMMUNE_COLUMN.get(programme.territoire_niveau)
    communes = Territory.objects.filter(niveau="commune")
    if column is not None:
        communes = communes.filter(**{column: programme.territoire_code})
    if communes.count() > MAX_COMMUNES_DRAWN:
        return ""
    features = [
        Feature(f"{c.nom} : {used.get(c.code, 0)} chèque(s)", c.geometrie_carte, None, fixed_class(used.get(c.code, 0), USE_BINS), group_of(c.departement_code))
        for c in communes.only("code", "nom", "geometrie_carte", "departement_code")
    ]
    return render_map(features, f"Chèques utilisés par les habitants de chaque commune, {programme.nom}")


def _programme_territory(typed: str) -> TerritorySet:
    """The programme's territory from what the funder typed: a département, an EPCI, a
    commune, a région, by name or code (the territory search); several answers are refused
    with the candidates named."""
    from terrinum.territories import services as territories

    try:
        found = territories.resolve(typed)
    except territories.ResolutionError as exc:
        raise services.Refused(str(exc), 400) from None
    if found.statut == "ambigu":
        names = ", ".join(f"{c.nom} ({c.niveau_label.lower()} {c.code})" for c in found.candidats[:8])
        raise services.Refused(f"plusieurs territoires répondent à « {typed} » : {names} ; précisez (ex. departement:23)", 400)
    if found.statut != "trouve" or found.territoire.niveau == "arrondissement":
        raise services.Refused(found.message or f"« {typed} » n'est pas un territoire de programme", 400)
    return TerritorySet.of(found.territoire.niveau, found.territoire.code)


class _Choose(Exception):
    """Several communes answer the person's commune: the form comes back to choose one."""


def _person_commune(request: HttpRequest):
    """The person's commune from the form: a candidate chosen on the second step, else the
    name, postal code or INSEE code typed; a list of candidates when several communes answer;
    Refused when none does."""
    from terrinum.territories import services as territories

    res = territories.commune_from_form(request.POST.get("commune_code", ""), request.POST.get("commune", ""))
    if res.statut == "trouve":
        return res.territoire
    if res.statut == "ambigu":
        return res.candidats
    raise services.Refused(res.message, 400)


def _typed_or_scanned(request: HttpRequest) -> str:
    """The code typed in the form, else the one in the photo of its QR code."""
    typed = request.POST.get("code", "").strip()
    if typed:
        return typed
    if "photo" not in request.FILES:
        raise services.Refused("tapez le code du chèque, ou joignez une photo de son QR code", 400)
    return services.code_in_photo(request.FILES["photo"])


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    places, prescribers = list(_places(user)), list(_prescribers(user))
    message, status, choix, typed = None, 200, None, {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "utiliser":
                lieu = get_object_or_404(Lieu, pk=request.POST.get("lieu") or 0)
                used = services.redeem(_typed_or_scanned(request), lieu, user)
                message = {
                    "ok": True,
                    "texte": f"Chèque {codes.display(used.code)} utilisé à {lieu.nom} : {used.programme.valeur_centimes / 100:.0f} € vous seront réglés avec les chèques du mois.",
                }
            elif action == "remettre":
                org = get_object_or_404(Organisation, pk=request.POST.get("prescripteur") or 0, type=Organisation.PRESCRIPTEUR)
                if not policy.acts_for(user, Organisation.PRESCRIPTEUR, org.pk):
                    raise services.Refused("vous ne remettez pas de carnets pour cette organisation", 403)
                typed = _typed_or_scanned(request)
                carnet = services.carnet_of(typed)
                saisie = {k: request.POST.get(k, "").strip() for k in ("age", "commune", "motif", "profil", "prescripteur")} | {"code": typed}
                commune = _person_commune(request)
                if isinstance(commune, list):  # several communes answer: the same form again, to choose (no JavaScript needed)
                    message, status = {"ok": False, "texte": f"Plusieurs communes répondent à « {saisie['commune']} » : choisissez la bonne."}, 400
                    choix = {"communes": commune, "saisie": saisie}
                    raise _Choose()
                services.attribute(
                    carnet,
                    org,
                    tranche_age=saisie["age"],
                    commune_code=commune.code,
                    motif=saisie["motif"],
                    profil=saisie["profil"] if saisie["profil"] in besoins.PROFILE_LABELS else "",
                    who=user,
                )
                p = carnet.programme
                message = {
                    "ok": True,
                    "texte": f"Carnet {carnet.numero} remis : {carnet.cheques.count()} chèques de {p.valeur_centimes / 100:.0f} €, valables jusqu'au {p.fin_validite:%d/%m/%Y}.",
                    "commune": commune.code,
                }
            elif action == "programme":
                funder = get_object_or_404(Organisation, pk=request.POST.get("financeur") or 0, type=Organisation.FINANCEUR)
                if not policy.acts_for(user, Organisation.FINANCEUR, funder.pk):
                    raise services.Refused("vous ne commandez pas de chèques pour cette organisation", 403)
                territory = _programme_territory(request.POST.get("territoire", ""))
                try:
                    carnets, per_carnet, value = (int(request.POST.get(k) or 0) for k in ("carnets", "cheques_par_carnet", "valeur"))
                except ValueError:
                    raise services.Refused("nombre de carnets, chèques par carnet et valeur : des nombres entiers", 400) from None
                prescribers = list(Organisation.objects.filter(pk__in=request.POST.getlist("prescripteurs"), type=Organisation.PRESCRIPTEUR))
                dates = {
                    k: _optional_date(request.POST.get(k, ""), label)
                    for k, label in (("fin_validite", "fin de validité"), ("fin_tolerance", "acceptés jusqu'au"))
                }
                operator = request.POST.get("operateur") or None
                operator = operator and get_object_or_404(Organisation, pk=operator, type=Organisation.OPERATEUR)
                made = services.create_programme(
                    funder,
                    territory,
                    carnets,
                    per_carnet,
                    valeur_centimes=value * 100,
                    prescripteurs=prescribers,
                    imputation=request.POST.get("imputation", ""),
                    operateur=operator,
                    who=user,
                    **dates,
                )
                billed = factures.issue_due(programmes=Programme.objects.filter(pk=made.pk)) if operator else None
                days = campagne.days_of_use(made.fin_tolerance)
                message = {
                    "ok": True,
                    "texte": f"Programme n° {made.pk} « {made.nom} » créé : {carnets} carnet(s) de {per_carnet} chèques de {value} €, "
                    f"valables jusqu'au {made.fin_validite:%d/%m/%Y}, acceptés jusqu'au {made.fin_tolerance:%d/%m/%Y} ({days} jours d'utilisation"
                    + (" : c'est court, pensez à répartir les carnets sans attendre" if days < 90 else "")
                    + "). Qualifiez maintenant les lieux qui les accepteront et répartissez les carnets entre les prescripteurs."
                    + (f" Factures de la commande : {', '.join(f.numero for f in billed.documents)}." if billed and billed.documents else "")
                    + (f" Factures en attente : {' ; '.join(billed.waiting)}." if billed and billed.waiting else ""),
                }
            elif action == "dossier":
                lieu = get_object_or_404(Lieu, pk=request.POST.get("lieu") or 0)
                publique = {"publique": True, "privee": False}.get(request.POST.get("statut", ""))
                fields = {k: request.POST.get(k, "") for k in dossiers.FIELDS}
                dossiers.save_structure(lieu, user, publique=publique, **fields)
                message = {"ok": True, "texte": f"Dossier de {lieu.nom} enregistré."}
            elif action == "piece":
                lieu = get_object_or_404(Lieu, pk=request.POST.get("lieu") or 0)
                structure = Structure.objects.filter(lieu=lieu).first()
                upload = request.FILES.get("fichier")
                if structure is None or upload is None:
                    raise services.Refused("enregistrez d'abord le dossier, puis joignez un fichier", 400)
                if upload.size > dossiers.MAX_PIECE_BYTES:
                    raise services.Refused(f"{upload.name} : au plus {dossiers.MAX_PIECE_BYTES // (1024 * 1024)} Mo", 400)
                piece = dossiers.add_piece(structure, user, request.POST.get("nature", ""), upload.name, upload.read())
                message = {"ok": True, "texte": f"{piece.get_nature_display().capitalize()} ajouté au dossier de {lieu.nom}."}
            elif action == "candidature":
                lieu = get_object_or_404(Lieu, pk=request.POST.get("lieu") or 0)
                programme = get_object_or_404(Programme, pk=request.POST.get("programme") or 0)
                dossiers.apply(lieu, programme, user)
                message = {"ok": True, "texte": f"Demande de qualification de {lieu.nom} envoyée au commanditaire de « {programme.nom} »."}
            elif action == "compte_financeur":
                funder = get_object_or_404(Organisation, pk=request.POST.get("financeur") or 0, type=Organisation.FINANCEUR)
                dossiers.save_funder_account(funder, user, request.POST.get("titulaire", ""), request.POST.get("iban", ""), request.POST.get("bic", ""))
                message = {"ok": True, "texte": f"Compte de paiement de {funder.nom} enregistré."}
            elif action == "dotation":
                programme = get_object_or_404(Programme, pk=request.POST.get("programme") or 0)
                org = get_object_or_404(Organisation, pk=request.POST.get("prescripteur") or 0, type=Organisation.PRESCRIPTEUR)
                try:
                    count = int(request.POST.get("carnets") or 0)
                except ValueError:
                    raise services.Refused("nombre de carnets : un nombre entier (négatif pour en reprendre)", 400) from None
                campagne.allocate(programme, org, count, user)
                message = {"ok": True, "texte": f"{org.nom} : {count:+d} carnet(s) du programme « {programme.nom} »."}
            elif action == "facturation":
                org = get_object_or_404(Organisation, pk=request.POST.get("organisation") or 0, type__in=(Organisation.FINANCEUR, Organisation.OPERATEUR))
                factures.save_identity(org, user, **{k: request.POST.get(k, "") for k in factures.IDENTITY_FIELDS})
                message = {"ok": True, "texte": f"Identité de facturation de {org.nom} enregistrée."}
            elif action == "facturer":
                programme = get_object_or_404(Programme, pk=request.POST.get("programme") or 0)
                if not factures.may_issue(user, programme):
                    raise services.Refused("seul l'opérateur du programme émet ses factures", 403)
                billed = factures.issue_due(programmes=Programme.objects.filter(pk=programme.pk), who=user)
                done = ", ".join(f"{f.get_nature_display()} n° {f.numero}" for f in billed.documents)
                message = {
                    "ok": not billed.waiting,
                    "texte": (f"Émis : {done}." if done else "Aucune facture due.")
                    + (f" En attente : {' ; '.join(billed.waiting)}." if billed.waiting else ""),
                }
                status = 400 if billed.waiting else 200
            elif action == "qualifier_liste":
                programme = get_object_or_404(Programme, pk=request.POST.get("programme") or 0)
                if not services.may_qualify(user, programme):
                    raise services.Refused("seul le commanditaire du programme qualifie les lieux qui l'acceptent", 403)
                if request.POST.get("seul") or request.POST.getlist("lieux"):  # from the pending applications
                    picked = [request.POST["seul"]] if request.POST.get("seul") else request.POST.getlist("lieux")
                    chosen = list(Lieu.objects.filter(pk__in=[p for p in picked if p.isdigit()]))
                    if not chosen:
                        raise services.Refused("cochez au moins une demande", 400)
                else:
                    upload = request.FILES.get("liste_fichier")
                    if upload is not None and upload.size > dossiers.MAX_PIECE_BYTES:
                        raise services.Refused(f"{upload.name} : au plus {dossiers.MAX_PIECE_BYTES // (1024 * 1024)} Mo", 400)
                    text = upload.read().decode("utf-8-sig", errors="replace") if upload is not None else request.POST.get("liste", "")
                    chosen = services.places_of_list(text)
                made = services.qualify_many(chosen, programme, user, request.POST.get("decision") or Qualification.QUALIFIE, request.POST.get("motif", ""))
                label = made[0].get_decision_display()
                message = {
                    "ok": True,
                    "texte": f"{len(made)} lieu(x) : {label} pour « {programme.nom} » ({', '.join(q.lieu.nom for q in made[:5])}{' …' if len(made) > 5 else ''}).",
                }
            elif action == "qualifier":
                programme = get_object_or_404(Programme, pk=request.POST.get("programme") or 0)
                lieu = get_object_or_404(Lieu, pk=request.POST.get("lieu") or 0)
                made = services.qualify(lieu, programme, user, request.POST.get("decision", ""), request.POST.get("motif", ""))
                message = {"ok": True, "texte": f"{lieu.nom} : {made.get_decision_display()} pour « {programme.nom} »."}
            else:
                message, status = {"ok": False, "texte": "action inconnue"}, 400
        except _Choose:
            pass
        except services.Refused as exc:
            message, status = {"ok": False, "texte": str(exc)}, exc.status
            if action == "dossier":  # what was typed stays in the form
                publique = {"publique": True, "privee": False}.get(request.POST.get("statut", ""))
                typed = {int(request.POST.get("lieu") or 0): {**{k: request.POST.get(k, "") for k in dossiers.FIELDS}, "publique": publique}}
            if action == "remettre":  # what was typed stays in the form
                choix = {"communes": [], "saisie": {k: request.POST.get(k, "").strip() for k in ("age", "commune", "motif", "profil", "prescripteur", "code")}}
    context = {
        "lieux": places,
        "utilises": Cheque.objects.filter(lieu__in=places, etat__in=("utilise", "rembourse")).select_related("lieu").order_by("-utilise_le")[:20]
        if places
        else [],
        "releves": Reglement.objects.filter(lieu__in=places).select_related("lieu")[:24] if places else [],
        "prescripteurs": prescribers,
        "stocks_prescripteur": _prescriber_stocks(prescribers),
        "ages": Beneficiaire.AGES,
        "profils": list(besoins.PROFILE_LABELS.items()),
        "programmes": [_funder_view(p, user) for p in _programmes(user)],
        "commanditaires": _funders(user),
        "tous_prescripteurs": Organisation.objects.filter(type=Organisation.PRESCRIPTEUR).order_by("nom") if _funders(user) else [],
        "decisions": [d for d in Qualification.DECISIONS if d[0] != Qualification.DEMANDE],
        "dossiers": _place_files(places, typed),
        "natures": Piece.NATURES,
        "paiements": _funder_payments(_funders(user), _operators(user)),
        "identites": [(o, Facturation.objects.filter(organisation=o).first()) for o in [*_funders(user), *_operators(user)]],
        "operateurs": Organisation.objects.filter(type=Organisation.OPERATEUR).order_by("nom") if _funders(user) else [],
        "champs_identite": factures.IDENTITY_FIELDS,
        "message": message,
        "choix": choix,
        "lieu_choisi": request.POST.get("lieu", "") if request.method == "POST" else "",  # the place stays chosen from one voucher to the next
        "aujourdhui": timezone.localdate(),
    }
    return render(request, "pass_numerique/accueil.html", context, status=status if status < 500 else 400)


@login_required
def statement(request: HttpRequest, pk: int, fmt: str = "csv") -> HttpResponse:
    """A place's monthly statement (CSV or PDF), for the place's accounts and the funders paying it."""
    r = get_object_or_404(Reglement.objects.select_related("lieu"), pk=pk)
    user = request.user
    own_place = policy.reads_for(user, Organisation.LIEU, r.lieu.organisation_id)
    funders = None if own_place else policy.reading_organisations(user, Organisation.FINANCEUR)
    if not own_place and not r.lignes.filter(programme__financeur_id__in=funders).exists():
        return HttpResponse("Ce relevé n'est pas le vôtre.", status=403, content_type="text/plain; charset=utf-8")
    if fmt == "pdf":  # a funder reads the lines of its own programmes only
        response = HttpResponse(services.statement_pdf(r, funders), content_type="application/pdf")
    else:
        response = HttpResponse(services.statement_csv(r, funders), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="releve-pass-numerique-{r.mois}-lieu-{r.lieu_id}.{fmt}"'
    return response


def needs(request: HttpRequest) -> HttpResponse:
    """ "Faire le point": twelve questions for anyone, without an account; the answer gives the
    profile, the help that fits, the nearest places offering it and whether the Pass numérique
    can pay for it. Only the commune and the answers are kept."""
    from terrinum.apps.inclusion import services as places

    context = {"questions": besoins.QUESTIONS, "reponses_possibles": besoins.ANSWERS, "choisies": {}, "q": "", "erreur": None}
    if request.method != "POST":
        return render(request, "pass_numerique/besoins.html", context)
    answers = {k: request.POST.get(k, "") for k in besoins.KEYS}
    context.update(choisies=answers, q=request.POST.get("commune", "").strip())
    origin, message, _ = places.origin_of_query(context["q"]) if context["q"] else (None, "indiquez votre commune ou votre code postal", [])
    try:
        besoins.validate(answers)
    except ValueError as exc:
        message = f"{exc} : répondez à chaque question" + (f" ; {message}" if message else "")
    if origin is None or message:
        context["erreur"] = message or "commune introuvable"
        return render(request, "pass_numerique/besoins.html", context, status=400)
    result, recorded = services.record_self_assessment(origin.code, answers, services.answer_source(client_address(request)))
    lat, lon, where = places.origin_point(origin)
    now = timezone.localtime()
    # the places covering most of the person's needs, then the nearest (not the first need only)
    ranked = places.covering(lat, lon, now, list(result.services)) if result.services else []
    found = [f for f, _ in ranked]
    context.update(resultat=result, commune=origin, depuis=where, lieux=ranked, pass_ici=any(f.lieu.pass_numerique for f in found), compte=recorded)
    return render(request, "pass_numerique/besoins.html", context)


@login_required
def piece(request: HttpRequest, pk: int) -> HttpResponse:
    """A supporting document of a place's file, for the place's accounts and the funders it
    applied to."""
    found = get_object_or_404(Piece.objects.select_related("structure__lieu"), pk=pk)
    if not dossiers.may_read_file(request.user, found.structure.lieu):
        raise Http404
    response = HttpResponse(bytes(found.contenu), content_type=found.type_mime)
    response["Content-Disposition"] = f'attachment; filename="piece-{found.pk}.{found.type_mime.rsplit("/", 1)[1]}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


PAYMENT_TYPES = {"xml": "application/xml", "csv": "text/csv; charset=utf-8", "ods": "application/vnd.oasis.opendocument.spreadsheet"}


@login_required
def payment(request: HttpRequest, financeur: int, mois: str, fmt: str) -> HttpResponse:
    """A funder's payment orders for a month: its SEPA transfers (XML) to private places, its
    mandates (CSV, ODS) for public ones. Its own accounts only."""
    funder = get_object_or_404(Organisation, pk=financeur, type=Organisation.FINANCEUR)
    if fmt not in PAYMENT_TYPES:
        raise Http404
    operator = None
    if not policy.acts_for(request.user, Organisation.FINANCEUR, funder.pk):
        # an operator prepares the files of the programmes it operates for this funder
        operator = Organisation.objects.filter(
            type=Organisation.OPERATEUR, pk__in=policy.acting_organisations(request.user, Organisation.OPERATEUR), programmes_operes__financeur=funder
        ).first()
        if operator is None:
            raise Http404
    try:
        body = paiements.sepa_transfers(mois, funder, operator=operator).xml if fmt == "xml" else paiements.mandates(mois, funder, fmt, operator)
    except services.Refused as exc:
        return HttpResponse(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    name = f"{'virements' if fmt == 'xml' else 'mandats'}-pass-numerique-{mois}-{funder.pk}.{fmt}"
    response = HttpResponse(body, content_type=PAYMENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """An invoice or credit note as issued (Factur-X PDF), for its issuer's and its client's
    accounts."""
    found = get_object_or_404(Facture, pk=pk)
    if not factures.may_read(request.user, found):
        raise Http404
    response = HttpResponse(bytes(found.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.nature}-{found.numero}.pdf"'
    return response


REPORT_TYPES = {"pdf": "application/pdf", "ods": "application/vnd.oasis.opendocument.spreadsheet"}


@login_required
def campaign_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A programme's campaign report (PDF, ODS), for whoever reads the programme: its funder's
    and its operator's accounts."""
    if fmt not in REPORT_TYPES or not _programmes(request.user).filter(pk=pk).exists():
        raise Http404
    found = rapport.campaign(Programme.objects.select_related("financeur", "operateur").get(pk=pk))
    body = rapport.as_pdf(found) if fmt == "pdf" else rapport.as_ods(found)
    response = HttpResponse(body, content_type=REPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="rapport-campagne-pass-numerique-{pk}.{fmt}"'
    return response
