"""Public finder "Où me faire accompagner ?", place pages, and editing for place managers
and territory admins (every change asks the one policy)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from terrinum.accounts import policy
from terrinum.apps.inclusion import services
from terrinum.apps.inclusion.horaires import in_french
from terrinum.apps.inclusion.models import Lieu
from terrinum.sources import lieux as standard
from terrinum.svg import Feature, Marker, group_of, render_map
from terrinum.territories.models import Territory

RESULTS = 10
LONG_FIELDS = {"presentation_detail", "courriels", "site_web", "horaires", "fiche_acces_libre", "prise_rdv", "autres_formations_labels"}
LABELS = {
    "pivot": "SIRET ou RNA (pivot)",
    "nom": "Nom",
    "commune": "Commune",
    "code_postal": "Code postal",
    "code_insee": "Code INSEE",
    "adresse": "Adresse",
    "complement_adresse": "Complément d'adresse",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "typologie": "Typologie",
    "telephone": "Téléphone (+33…)",
    "courriels": "Courriels (séparés par |)",
    "site_web": "Sites web (séparés par |)",
    "horaires": "Horaires (syntaxe OpenStreetMap, ex. Mo-Fr 09:00-12:00)",
    "presentation_resume": "Présentation courte (280 caractères)",
    "presentation_detail": "Présentation détaillée",
    "itinerance": "Itinérance",
    "structure_parente": "Structure parente",
    "services": "Services",
    "publics_specifiquement_adresses": "Publics spécifiquement adressés",
    "prise_en_charge_specifique": "Prise en charge spécifique",
    "frais_a_charge": "Frais à charge",
    "dispositif_programmes_nationaux": "Dispositifs et programmes nationaux",
    "formations_labels": "Formations et labels",
    "autres_formations_labels": "Autres formations et labels",
    "modalites_acces": "Modalités d'accès",
    "modalites_accompagnement": "Modalités d'accompagnement",
    "fiche_acces_libre": "Fiche Accès libre (accessibilité)",
    "prise_rdv": "Prise de rendez-vous (lien)",
}


def _place_summary(found: services.Found, when) -> dict:
    lieu = found.lieu
    return {
        "lieu": lieu,
        "url": reverse("lieu", args=[lieu.pk]),
        "distance_km": found.distance_km,
        "ouvert": found.ouvert,
        "prochain_changement": services.next_change(lieu.horaires, when),
        "services": services.multi(lieu.services),
        "publics": services.multi(lieu.publics_specifiquement_adresses),
        "prise_en_charge": services.multi(lieu.prise_en_charge_specifique),
        "frais": services.multi(lieu.frais_a_charge),
    }


FINDER_PAGES: dict = {}  # a visitor's search, per URL, registry state and minute (bounded below)
FINDER_KEPT = 512


def finder(request: HttpRequest) -> HttpResponse:
    """« Où me faire accompagner ? ». A visitor's answer is the same for everyone asking the
    same search in the same minute (« open now » changes at a minute at most) while the
    registry does not change: it is kept and served again (32 people searching « 23000 »
    computed it 32 times)."""
    if request.method != "GET" or request.user.is_authenticated:
        return _finder(request)
    key = (request.get_full_path(), services.registry_stamp(), timezone.localtime().strftime("%Y%m%d%H%M"))
    kept = FINDER_PAGES.get(key)
    if kept is not None:
        return HttpResponse(kept)
    response = _finder(request)
    if response.status_code == 200:
        if len(FINDER_PAGES) >= FINDER_KEPT:
            FINDER_PAGES.clear()  # older minutes and states: a new minute fills it again
        FINDER_PAGES[key] = response.content
    return response


def _finder(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    service = request.GET.get("service") or None
    if service not in standard.enumerations()["services"]:
        service = None
    ouvert = request.GET.get("ouvert") == "1"
    pass_numerique = request.GET.get("pass") == "1"
    now = timezone.localtime()
    context = {
        "q": q,
        "service": service,
        "ouvert": ouvert,
        "pass_numerique": pass_numerique,
        "services_possibles": standard.enumerations()["services"],
        "maintenant": now,
        "nb_lieux": Lieu.objects.count(),
    }
    origin, message, others = services.origin_of_query(q)
    context.update(commune=origin, message=message, autres=others)
    if origin is not None:
        lat, lon, where = services.origin_point(origin)
        found = services.nearest(lat, lon, now, service=service, limit=RESULTS, ouvert_seulement=ouvert, pass_numerique=pass_numerique)
        results = [_place_summary(f, now) for f in found]
        context.update(depuis=where, resultats=results, mairie=origin.mairie, commune_url=reverse("territoire", args=["commune", origin.code]))
        codes = {origin.code} | {r["lieu"].commune_code for r in results if r["lieu"].commune_code}
        communes = Territory.objects.filter(niveau="commune", code__in=codes).only("nom", "code", "geometrie_carte", "departement_code")
        features = [
            Feature(c.nom, c.geometrie_carte, None, "zone focus" if c.code == origin.code else "zone voisine", group_of(c.departement_code)) for c in communes
        ]
        group = group_of(origin.departement_code)
        markers = [Marker(lon, lat, f"Point de départ : {where}", "point depart", 6, group)]
        markers += [Marker(r["lieu"].longitude, r["lieu"].latitude, f"{i}. {r['lieu'].nom}", "point lieu", 5, group) for i, r in enumerate(results, start=1)]
        context["carte"] = render_map(features, f"Lieux d'accompagnement proches de {origin.nom}", markers=markers)
    return render(request, "inclusion/recherche.html", context, status=200 if message is None else 404)


def place(request: HttpRequest, pk: int) -> HttpResponse:
    lieu = get_object_or_404(Lieu, pk=pk)
    now = timezone.localtime()
    fields = []
    for name in services.STANDARD_FIELDS:
        value = getattr(lieu, "identifiant" if name == "id" else name)
        if value in (None, ""):
            continue
        origin = lieu.provenance.get(name, {})
        fields.append(
            {
                "nom": name,
                "libelle": LABELS.get(name, name),
                "valeurs": [in_french(value) or value] if name == "horaires" else services.multi(value) if isinstance(value, str) and "|" in value else [value],
                "source": origin.get("source"),
                "date": origin.get("date_maj"),
            }
        )
    commune = Territory.objects.filter(niveau="commune", code=lieu.commune_code).only("nom", "code").first() if lieu.commune_code else None
    return render(
        request,
        "inclusion/lieu.html",
        {
            "lieu": lieu,
            "champs": fields,
            "ouvert": services.open_state(lieu.horaires, now),
            "prochain_changement": services.next_change(lieu.horaires, now),
            "peut_modifier": policy.can_change(request.user, lieu),
            "commune": commune,
            "changements": lieu.changements.select_related("auteur")[:20],
            "identifiants": lieu.identifiants.all(),
        },
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    lieu = get_object_or_404(Lieu, pk=pk)
    if not policy.can_change(request.user, lieu):
        return HttpResponseForbidden(render(request, "inclusion/refus.html", {"lieu": lieu}).content)
    enums = standard.enumerations()
    errors: dict[str, str] = {}
    values = {name: getattr(lieu, name) for name in services.EDITABLE_FIELDS}
    labels = {"comptoir_numerique": lieu.comptoir_numerique}
    administers = policy.administers_location_of(request.user, lieu)
    if request.method == "POST":
        for name in services.EDITABLE_FIELDS:
            if name in enums:
                values[name] = "|".join(request.POST.getlist(name)) or None
            else:
                values[name] = request.POST.get(name, "").strip() or None
        if administers:  # a place's own account does not send its labels: they are not its to give
            labels = {"comptoir_numerique": request.POST.get("comptoir_numerique") == "1"}
        try:
            services.update_place(lieu, values, request.user, labels=labels if administers else None)
        except ValueError as exc:
            errors = {f: reason for f, reason in exc.args[0]}
        except PermissionError as exc:  # the change would move the place out of the user's reach
            errors = {"code_insee": str(exc)}
        else:
            return redirect(reverse("lieu", args=[lieu.pk]) + "?modifie=1")
    form = []
    for name in services.EDITABLE_FIELDS:
        value = values.get(name)
        entry = {
            "nom": name,
            "libelle": LABELS.get(name, name),
            "valeur": "" if value is None else value,
            "erreur": errors.get(name),
            "long": name in LONG_FIELDS,
        }
        if name in enums:
            chosen = set(services.multi(value if isinstance(value, str) else None))
            entry["options"] = [{"valeur": v, "coche": v in chosen} for v in enums[name]]
        form.append(entry)
    context = {"lieu": lieu, "formulaire": form, "erreurs": errors, "labels": labels, "attribue_labels": administers}
    return render(request, "inclusion/modifier.html", context, status=400 if errors else 200)


@login_required
def my_places(request: HttpRequest) -> HttpResponse:
    filters = policy.editable_filter(request.user)
    qs = (
        Lieu.objects.all()
        if filters is None
        else Lieu.objects.filter(Q(organisation_id__in=filters["organisation_id__in"]) | Q(commune_code__in=filters["commune_code__in"]))
    )
    total = qs.count()
    return render(request, "inclusion/mes_lieux.html", {"lieux": qs.order_by("commune", "nom")[:500], "total": total})


def export(request: HttpRequest) -> HttpResponse:
    """The whole registry in the standard (public open data)."""
    fmt = request.GET.get("format", "csv")
    rows = services.export_rows()
    if fmt == "json":
        response = HttpResponse(services.to_json(rows), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="lieux-mediation-numerique.json"'
    elif fmt == "csv":
        response = HttpResponse(services.to_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="lieux-mediation-numerique.csv"'
    else:
        raise Http404("format")
    return response
