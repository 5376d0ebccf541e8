"""Pages of the coverage reports (docs/couverture.md): a collectivité's reports and the form
to report a zone on the commune's map; a report's check and status; the département's project
team's page (map, table, grouping, ranking, decisions, exports). Outside the account's scope
every report, zone and département answers 404."""

from __future__ import annotations

import datetime as dt
import json

import shapely
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from terrinum import ods
from terrinum.accounts import policy
from terrinum.accounts.models import Organisation
from terrinum.apps.signalements import forms, services, suivi
from terrinum.apps.signalements.models import CONCERNED, OPERATORS, USAGES, Signalement, SiteNewDeal, Zone
from terrinum.config import reading
from terrinum.svg import Feature, Marker, group_of, render_map
from terrinum.territories.models import Territory

FORMATS = {"csv": "text/csv; charset=utf-8", "ods": "application/vnd.oasis.opendocument.spreadsheet", "geojson": "application/geo+json"}


def _collectivites(user):
    allowed = policy.coverage_collectivites(user)
    orgs = Organisation.objects.filter(type=Organisation.COLLECTIVITE).exclude(territoire_niveau__isnull=True)
    return list((orgs if allowed is None else orgs.filter(pk__in=allowed)).order_by("nom"))


def _departements(user, action: str) -> list[Territory]:
    codes = policy.coverage_departements(user, action)
    deps = Territory.objects.filter(niveau="departement")
    return list((deps if codes is None else deps.filter(code__in=codes)).order_by("code"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The account's collectivités (report a zone, follow the reports) and départements."""
    collectivites = _collectivites(request.user)
    mine = Signalement.objects.select_related("zone").filter(organisation__in=collectivites)
    names = dict(Territory.objects.filter(niveau="commune", code__in=set(mine.values_list("commune_code", flat=True))).values_list("code", "nom"))
    page = Paginator(mine, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "signalements/accueil.html",
        {
            "collectivites": [(o, services.communes_of(o)) for o in collectivites],
            "signalements": [
                (s, names.get(s.commune_code, s.commune_code), _operator_names((s.verification or {}).get("operateurs_sans_bonne_4g"))) for s in page
            ],
            "page": page,
            "departements": _departements(request.user, "lire"),
        },
    )


MAP_MARGIN = 0.15  # the map shows this share of the commune's extent around it


def _map_bounds(commune: Territory) -> tuple[float, float, float, float] | None:
    if not commune.geometrie_carte:
        return None
    x0, y0, x1, y1 = shapely.bounds(shapely.from_wkb(commune.geometrie_carte))
    dx, dy = (x1 - x0) * MAP_MARGIN, (y1 - y0) * MAP_MARGIN
    return x0 - dx, y0 - dy, x1 + dx, y1 + dy


def _report_map(commune: Territory, layers: dict, point: tuple | None) -> str:
    """The commune, what lies around it (neighbouring communes, named), its town hall, the
    zone with good 4G, buildings and 4G sites: what Terrinum holds offline to find a place."""
    bounds = _map_bounds(commune)
    features, markers = [], []
    if bounds:
        box = shapely.box(*bounds)
        features.append(Feature("", shapely.to_wkb(box), None, "zone cadre"))
        near = (
            Territory.objects.filter(niveau="commune", longitude__range=(bounds[0] - 0.3, bounds[2] + 0.3), latitude__range=(bounds[1] - 0.2, bounds[3] + 0.2))
            .exclude(code=commune.code)
            .only("nom", "niveau", "geometrie_carte")
        )
        for other in near:
            if not other.geometrie_carte:
                continue
            part = shapely.clip_by_rect(shapely.from_wkb(other.geometrie_carte), *bounds)
            if part.is_empty:
                continue
            features.append(Feature(other.nom, shapely.to_wkb(part), None, "zone voisine"))
            if part.area > 0.025 * box.area:  # a strip too thin for its name stays unnamed
                inside = part.point_on_surface()
                markers.append(Marker(inside.x, inside.y, other.nom, "point", radius=0, text=other.nom))
    features.append(Feature(commune.nom, commune.geometrie_carte, None, "zone contour"))
    if layers["couverture"]:
        features.append(Feature("Bonne couverture 4G d'au moins un opérateur", layers["couverture"], None, "zone couverte"))
    markers += [Marker(x, y, "Immeuble", "point immeuble", radius=1.2) for x, y in layers["immeubles"]]
    markers += [Marker(x, y, f"Site 4G {services.OPERATOR_NAMES.get(op, op)}", "point site", radius=3.5) for x, y, op in layers["sites"]]
    mairie = commune.mairie or {}
    if mairie.get("longitude") is not None:
        markers.append(Marker(mairie["longitude"], mairie["latitude"], f"Mairie {commune.de_nom}", "point mairie", radius=4.5, text="Mairie"))
    if point:
        markers.append(Marker(point[0], point[1], "Point signalé", "point pointe", radius=6))
    return render_map(features, f"Carte {commune.de_nom} : cliquez pour placer la zone", markers=markers, pickable=True)


@login_required
def report(request: HttpRequest, organisation_pk: int, code: str) -> HttpResponse:
    """The form to report a zone in one of the collectivité's communes."""
    organisation = next((o for o in _collectivites(request.user) if o.pk == int(organisation_pk)), None)
    if organisation is None:
        raise Http404
    commune = next((c for c in services.communes_of(organisation) if c.code == code), None)
    if commune is None:
        raise Http404
    form = forms.ReportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        measurements = []
        try:
            if d["mesures"]:
                measurements = services.parse_measurements(d["mesures"].name, d["mesures"].read())
            created = services.report_zone(
                request.user,
                organisation,
                services.Report(
                    commune_code=commune.code,
                    operateurs=d["operateurs"],
                    usages=d["usages"],
                    frequence=d["frequence"],
                    concernes=d["concernes"],
                    longitude=d["longitude"],
                    latitude=d["latitude"],
                    lieu_dit=d["lieu_dit"],
                    personnes=d["personnes"],
                    description=d["description"],
                ),  # fmt: skip
                measurements,
            )
        except services.Refused as exc:
            problems = [str(p) for p in exc.problems]
        else:
            return redirect("couverture-signalement", created.pk)
    layers = reading("couverture.calques")(commune.code, _map_bounds(commune))  # pillars/couverture/verification.py
    point = None
    if form.is_bound and form.is_valid() and form.cleaned_data.get("longitude") is not None and form.cleaned_data.get("latitude") is not None:
        point = (form.cleaned_data["longitude"], form.cleaned_data["latitude"])
    return render(
        request,
        "signalements/signaler.html",
        {
            "organisation": organisation,
            "commune": commune,
            "form": form,
            "problemes": problems,
            "carte": _report_map(commune, layers, point),
            "couches": layers,
        },
        status=400 if problems or (form.is_bound and not form.is_valid()) else 200,
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    s = get_object_or_404(Signalement.objects.select_related("zone", "organisation"), pk=pk)
    if not policy.may_see_report(request.user, s):
        raise Http404
    commune = Territory.objects.get(niveau="commune", code=s.commune_code)
    check = s.verification or {}
    operators = [(services.OPERATOR_NAMES[op], v) for op, v in (check.get("operateurs") or {}).items()]
    return render(
        request,
        "signalements/signalement.html",
        {
            "s": s,
            "commune": commune,
            "v": check,
            "operateurs": operators,
            "usages": [dict(USAGES)[u] for u in s.usages],
            "concernes": [dict(CONCERNED)[c] for c in s.concernes],
            "operateurs_signales": [services.OPERATOR_NAMES[o] for o in s.operateurs],
            "carte": render_map(
                [Feature(commune.nom, commune.geometrie_carte, None, "zone contour")],
                f"Position du signalement à {commune.nom}",
                markers=[Marker(s.longitude, s.latitude, "Point signalé", "point pointe", radius=6)] if s.longitude is not None else [],
            ),
            "equipe": s.departement_code in (policy.coverage_departements(request.user, "lire") or {s.departement_code}),
            "parcours": _timeline(s),
        },
    )


def _timeline(s: Signalement) -> list[tuple[str, str]]:
    """« votre signalement du 12/03 → zone proposée → arrêté du … → site en service le … »."""
    steps = [(s.cree_le.date().strftime("%d/%m/%Y"), "Votre signalement")]
    z = s.zone
    if z is None:
        return steps
    steps.append((z.creee_le.date().strftime("%d/%m/%Y"), f"Regroupé dans la zone {z.numero}"))
    if z.decide_le:
        steps.append((timezone.localtime(z.decide_le).strftime("%d/%m/%Y"), z.get_decision_display()))
    today = timezone.localdate()
    for e in z.etapes.all():
        label = dict(Zone.ETAPES).get(e.etape, e.etape)
        if e.etape == Zone.ORDONNEE and z.arrete:
            label = f"Arrêté n° {z.arrete.numero} : mise en service attendue au plus tard le {z.arrete.echeance:%d/%m/%Y}"
        if e.etape == Zone.EN_SERVICE:
            late = z.retard_jours(today)
            label = "Site en service" + (f", avec {late} jour(s) de retard" if late else ", dans le délai")
        steps.append(
            ((e.date or timezone.localtime(e.quand).date()).strftime("%d/%m/%Y"), label + (f" — {e.note}" if e.note and e.etape == Zone.ABANDONNEE else ""))
        )
    late = z.retard_jours(today)
    if late and z.etape != Zone.EN_SERVICE:
        steps.append((today.strftime("%d/%m/%Y"), f"En retard de {late} jour(s) sur l'échéance de l'arrêté"))
    return steps


def _operator_names(codes) -> str:
    return ", ".join(services.OPERATOR_NAMES.get(c, c) for c in codes or [])


def _departement(request, code: str, action: str) -> Territory:
    allowed = policy.coverage_departements(request.user, action)
    if allowed is not None and code not in allowed:
        raise Http404
    return get_object_or_404(Territory, niveau="departement", code=code)


@login_required
def departement(request: HttpRequest, code: str) -> HttpResponse:
    """The project team's page: reports on a map and in a table, candidate zones ranked, the
    grouping and the decisions (admins and gestionnaires of the team)."""
    dep = _departement(request, code, "lire")
    decider = policy.coverage_departements(request.user, "decider")
    may_decide = decider is None or dep.code in decider
    message = None
    regroup_form = forms.RegroupForm(request.POST if request.POST.get("action") == "regrouper" else None)
    if request.method == "POST":
        if not may_decide:
            raise Http404
        try:
            if request.POST.get("action") == "regrouper":
                if not regroup_form.is_valid():
                    raise services.Refused([" ".join(e for errs in regroup_form.errors.values() for e in errs)])
                zones = services.regroup(dep.code, regroup_form.cleaned_data["distance"])
                message = {"ok": True, "texte": f"{len(zones)} zone(s) à examiner formée(s) à {regroup_form.cleaned_data['distance']} m."}
            elif request.POST.get("action") == "arrete":
                try:
                    date = dt.date.fromisoformat(request.POST.get("date", ""))
                except ValueError:
                    raise services.Refused(["date de l'arrêté : une date"]) from None
                chosen = list(Zone.objects.filter(departement_code=dep.code, pk__in=request.POST.getlist("zones")))
                if not chosen:
                    raise services.Refused(["choisissez au moins une zone proposée"])
                try:
                    ops = suivi._operators(",".join(request.POST.getlist("operateurs")))
                except ValueError as exc:
                    raise services.Refused([str(exc)]) from None
                order = suivi.record_order(dep.code, request.POST.get("numero", ""), date, ops, chosen, request.user)
                message = {"ok": True, "texte": f"{order} enregistré : {len(chosen)} zone(s), mise en service au plus tard le {order.echeance:%d/%m/%Y}."}
            elif request.POST.get("action") == "arretes_csv":
                upload = request.FILES.get("fichier")
                if upload is None:
                    raise services.Refused(["choisissez un fichier CSV"])
                made = suivi.import_orders(dep.code, upload.read(), upload.name, request.user)
                message = {"ok": True, "texte": f"{len(made)} arrêté(s) enregistré(s) (les arrêtés déjà enregistrés restent tels quels)."}
            elif request.POST.get("action") == "etape":
                zone = get_object_or_404(Zone, pk=request.POST.get("zone"), departement_code=dep.code)
                raw = request.POST.get("date", "")
                try:
                    date = dt.date.fromisoformat(raw) if raw else None
                except ValueError:
                    raise services.Refused(["date : une date"]) from None
                zone = suivi.advance(zone, request.POST.get("etape", ""), request.user, date, request.POST.get("motif", ""))
                message = {"ok": True, "texte": f"Zone {zone.numero} : {zone.get_etape_display().lower()}."}
            elif request.POST.get("action") == "sites":
                found = suivi.match_sites(dep.code, request.user)
                if found.millesime is None:
                    raise services.Refused(["aucun fichier des sites du dispositif de couverture ciblée importé pour ce département"])
                message = {
                    "ok": True,
                    "texte": f"Fichier de l'ARCEP ({found.millesime}{', démonstration' if found.demo else ''}) : {len(found.lies)} site(s) rapproché(s) de leur zone, "
                    f"{found.deja_lies} déjà rapproché(s), {len(found.a_rapprocher)} à rapprocher à la main, {len(found.mis_en_service)} zone(s) mise(s) en service.",
                }
            elif request.POST.get("action") == "lier_site":
                site = get_object_or_404(SiteNewDeal, pk=request.POST.get("site"), departement_code=dep.code)
                zone = get_object_or_404(Zone, pk=request.POST.get("zone"), departement_code=dep.code)
                suivi.link_site(site, zone, request.user)
                message = {"ok": True, "texte": f"Site de l'arrêté {site.num_arrete} ({site.code_commune}) rapproché de la zone {zone.numero}."}
            elif request.POST.get("action") == "dotation":
                try:
                    year, allotted = int(request.POST.get("annee", "")), int(request.POST.get("dotation", ""))
                except ValueError:
                    raise services.Refused(["année et dotation : des nombres entiers"]) from None
                suivi.set_allocation(dep.code, year, allotted, request.user)
                message = {"ok": True, "texte": f"Campagne {year} : dotation de {allotted} zone(s)."}
            elif request.POST.get("action") == "fiche":
                zone = get_object_or_404(Zone, pk=request.POST.get("zone"), departement_code=dep.code)
                upload = request.FILES.get("photo")
                if upload is not None and upload.size > suivi.MAX_PHOTO_BYTES:
                    raise services.Refused([f"{upload.name} : au plus 5 Mo"])
                suivi.annotate(zone, request.user, request.POST.get("notes"), (upload.name, upload.read(), request.POST.get("legende", "")) if upload else None)
                message = {"ok": True, "texte": f"Fiche de la zone {zone.numero} enregistrée."}
            elif request.POST.get("action") == "decider":
                zone = get_object_or_404(Zone, pk=request.POST.get("zone"), departement_code=dep.code)
                form = forms.DecisionForm(request.POST)
                if not form.is_valid():
                    raise services.Refused(["décision invalide"])
                zone = services.decide(zone, form.cleaned_data["decision"], form.cleaned_data["motif"], request.user)
                message = {"ok": True, "texte": f"Zone {zone.numero} : {zone.get_decision_display().lower()}."}
        except services.Refused as exc:
            message = {"ok": False, "texte": " ; ".join(str(p) for p in exc.problems)}
    zones = services.zones_of(dep.code)
    follow = suivi.follow_up(dep.code)
    rows = services.export_rows(zones)
    reports = list(Signalement.objects.filter(departement_code=dep.code).select_related("zone").order_by("-cree_le"))
    names = dict(Territory.objects.filter(niveau="commune", departement_code=dep.code).values_list("code", "nom"))
    communes = Territory.objects.filter(niveau="commune", departement_code=dep.code).only("nom", "geometrie_carte", "departement_code")
    markers = [
        Marker(s.longitude, s.latitude, f"Zone {s.zone.numero}" if s.zone else "Signalement non regroupé", "point pointe" if s.zone else "point", radius=4)
        for s in reports
        if s.longitude is not None
    ]
    carte = render_map(
        [Feature(c.nom, c.geometrie_carte, None, "zone contour", group_of(c.departement_code)) for c in communes],
        f"Signalements de couverture, {dep.nom}",
        markers=markers,
    )
    return render(
        request,
        "signalements/departement.html",
        {
            "dep": dep,
            "zones": list(zip(zones, rows)),
            "signalements": [
                (s, names.get(s.commune_code, s.commune_code), _operator_names((s.verification or {}).get("operateurs_sans_bonne_4g"))) for s in reports[:500]
            ],
            "non_regroupes": sum(1 for s in reports if s.zone is None),
            "total": len(reports),
            "carte": carte,
            "peut_decider": may_decide,
            "regroupement": regroup_form,
            "decisions": Zone.DECISIONS,
            "message": message,
            "termes": services.SCORE_TERMS,
            "distance_defaut": services.DEFAULT_DISTANCE_M,
            "suivi": follow,
            "suivi_etapes": [(label, follow.par_etape.get(code, 0)) for code, label in Zone.ETAPES],
            "retards_operateurs": [(dict(OPERATORS)[o], n) for o, n in sorted(follow.retards_par_operateur.items())],
            "proposees": [z for z in zones if z.decision == Zone.PROPOSE and z.arrete_id is None],
            "designees": [(z, z.retard_jours(timezone.localdate())) for z in zones if z.arrete_id is not None],
            "operateurs": OPERATORS,
            "campagne": suivi.campaign(dep.code, timezone.localdate().year),
            "sites_arcep": [
                (site, names.get(site.code_commune, site.code_commune)) for site in SiteNewDeal.objects.filter(departement_code=dep.code).select_related("zone")
            ],
        },
        status=400 if message and not message["ok"] else 200,
    )


@login_required
def export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The zones of the département (the proposals only with ?decision=propose) as CSV, ODS
    or GeoJSON."""
    dep = _departement(request, code, "lire")
    if fmt not in FORMATS:
        raise Http404
    decision = request.GET.get("decision") or None
    if decision and decision not in dict(Zone.DECISIONS):
        raise Http404
    year = request.GET.get("campagne", "")
    if year:  # the file the national level collects: the year's proposals, ranked, against the allotment
        if not year.isdigit():
            raise Http404
        found = suivi.campaign(dep.code, int(year))
        zones = found.proposees
        name = f"terrinum-campagne-{year}-couverture-ciblee-{dep.code}.{fmt}"
    else:
        zones = services.zones_of(dep.code, decision)
        name = f"terrinum-zones-couverture-{dep.code}{'-' + decision if decision else ''}.{fmt}"
    if fmt == "geojson":
        body = json.dumps(services.geojson(zones), ensure_ascii=False).encode()
    else:
        rows = services.export_rows(zones)
        header = [label for _, label in services.EXPORT_COLUMNS]
        table = [[r[k] for k, _ in services.EXPORT_COLUMNS] for r in rows]
        if year:
            header = ["Année", "Département", "Dotation", "Dans la dotation", *header]
            table = [
                [int(year), dep.code, found.dotation, "" if found.dotation is None else ("oui" if i < found.dotation else "non"), *row]
                for i, row in enumerate(table)
            ]
        if fmt == "ods":
            body = ods.sheet(f"Zones {dep.code}", header, table)
        else:
            import csv
            import io

            out = io.StringIO()
            out.write("\ufeff")
            writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(["" if v is None else v for v in row] for row in table)
            body = out.getvalue().encode()
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def france(request: HttpRequest) -> HttpResponse:
    """The follow-up of the targeted-coverage scheme across France: zones by step, median delay,
    late zones and late zones per designated operator, then département by département; for
    the project teams and the platform's administrator."""
    seen = policy.coverage_departements(request.user, "lire")
    if seen is not None and not seen:
        raise Http404
    today = timezone.localdate()
    total = suivi.follow_up(None, today)
    names = dict(Territory.objects.filter(niveau="departement").values_list("code", "nom"))
    rows = [
        (code, names.get(code, code), f, sum(f.par_etape.values()), f.par_etape.get(Zone.EN_SERVICE, 0), len(f.en_retard))
        for code, f in suivi.follow_up_by_departement(today)
    ]
    return render(
        request,
        "signalements/france.html",
        {
            "suivi": total,
            "etapes": [(label, total.par_etape.get(code, 0)) for code, label in Zone.ETAPES],
            "retards_operateurs": [(dict(OPERATORS)[o], n) for o, n in sorted(total.retards_par_operateur.items())],
            "departements": rows,
            "lisibles": seen,
        },
    )


@login_required
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo of a zone's sheet, for the readers of its département's reports."""
    from terrinum.apps.signalements.models import PhotoZone

    found = get_object_or_404(PhotoZone.objects.select_related("zone"), pk=pk)
    _departement(request, found.zone.departement_code, "lire")
    response = HttpResponse(bytes(found.contenu), content_type=found.type_mime)
    response["Content-Disposition"] = f'inline; filename="zone-{found.zone.numero}-photo-{found.pk}.{found.type_mime.rsplit("/", 1)[1]}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
