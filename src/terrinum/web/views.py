"""Public pages: home, search, territory pages at every level, France, 404."""

from __future__ import annotations

import re
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from terrinum.diagnostic import rendering, report
from terrinum.pillars import change_stamp
from terrinum.planning import jobs, proposal
from terrinum.svg import Feature, group_of, render_map
from terrinum.territories import services
from terrinum.territories.models import NIVEAU_LABELS, NIVEAUX, Territory
from terrinum.territories.services import map_group, territory_url
from terrinum.warehouse import store
from terrinum.web import publies

SORT_KEYS = {
    "nom": "nom_recherche",
    "code": "code",
    "population": "population",
    "superficie": "superficie_km2",
    "densite": None,  # computed in Python
}
# Above this many sub-territories, their tables are folded (<details>) so that the page opens
# on its summaries (the Creuse page was 25,835 px tall, mostly two 255-row tables).
LONG_TABLE_ROWS = 40


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/accueil.html", {"france": services.get("pays", "FR")})


def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    try:
        res = services.resolve(q)
    except services.ResolutionError as exc:
        return render(request, "web/recherche.html", {"q": q, "erreur": str(exc)}, status=400)
    if res.statut == "trouve":
        url = territory_url(res.territoire)
        return redirect(f"{url}?note=ancien-code&q={q}" if res.note else url)
    return render(
        request,
        "web/recherche.html",
        {"q": q, "resolution": res, "candidats": [(c, territory_url(c)) for c in res.candidats]},
    )


def _sorted_children(request: HttpRequest, children: list[Territory]):
    tri = request.GET.get("tri", "population")
    if tri not in SORT_KEYS:
        tri = "population"
    ordre = "asc" if request.GET.get("ordre") == "asc" else "desc"

    def key(t):
        value = t.densite if tri == "densite" else getattr(t, SORT_KEYS[tri])
        return (value is None, value if value is not None else 0)

    rows = sorted(children, key=key, reverse=(ordre == "desc"))
    if ordre == "desc":  # keep missing values last in both directions
        rows = [t for t in rows if key(t)[0] is False] + [t for t in rows if key(t)[0]]
    return rows, tri, ordre


@publies.kept_for_visitors
def territory(request: HttpRequest, niveau: str, code: str) -> HttpResponse:
    t = services.get(niveau, code)
    if t is None:
        raise Http404(f"{niveau}/{code}")
    if code != t.code:
        return redirect(territory_url(t))
    ps = services.parents(t)
    children = list(services.children(t).defer("geometrie", "mairie"))
    rows, tri, ordre = _sorted_children(request, children)
    carte, map_title, legend = rendering.territory_map(t, children)
    sort_links = {}
    for k in SORT_KEYS:
        next_order = "asc" if (tri == k and ordre == "desc") or (tri != k and k in ("nom", "code")) else "desc"
        sort_links[k] = {"url": f"?tri={k}&ordre={next_order}#sous-territoires", "actif": tri == k, "ordre": ordre}
    composed = report.compose(t, children, map_group, territory_url)
    context = {
        "sections": composed,
        "sections_html": [s.render(t, request) for s in composed],
        "comparaison": report.comparison(rows, territory_url, composed, request.GET.get("comparer", ""), request.GET.get("sens", "desc")),
        "t": t,
        "parents": [(p, territory_url(p)) for p in reversed(ps)],
        "children": [(c, territory_url(c)) for c in rows],
        "long_table": LONG_TABLE_ROWS,
        "child_label": rendering.CHILD_LABELS.get(children[0].niveau) if children else None,
        "epcis": _epcis_of(t),
        "carte": carte,
        "carte_titre": map_title,
        "legende": legend,
        "tri": sort_links,
        "note": services.resolve(request.GET["q"]).note if request.GET.get("note") and request.GET.get("q") else None,
        "chef_lieu": services.get("commune", t.chef_lieu_code) if t.chef_lieu_code else None,
        "projection": services.projection_label(t),
        "departements": _departements_of_france(t),
    }
    return render(request, "web/territoire.html", context)


def _departements_of_france(t: Territory):
    if t.niveau != "pays":
        return []
    deps = Territory.objects.filter(niveau="departement").order_by("code").defer("geometrie", "geometrie_carte")
    return [(d, territory_url(d)) for d in deps]


def _epcis_of(t: Territory):
    if t.niveau != "departement":
        return []
    codes = Territory.objects.filter(niveau="commune", departement_code=t.code).values_list("epci_code", flat=True).distinct()
    epcis = Territory.objects.filter(niveau="epci", code__in=list(codes)).order_by("nom_recherche").defer("geometrie", "geometrie_carte")
    return [(e, territory_url(e)) for e in epcis]


@publies.kept_for_visitors
def fixed_connectivity_overview(request: HttpRequest) -> HttpResponse:
    """France overview: départements ranked on the Plan France Très Haut Débit targets."""
    from terrinum.pillars import publication
    from terrinum.pillars.connectivite_fixe import indicators as cf

    tri = request.GET.get("tri", "part_30mbits")
    if tri not in ("part_8mbits", "part_30mbits", "part_ftth", "locaux_manquants_30mbits"):
        tri = "part_30mbits"
    rows = []
    try:
        with store.reader() as con:
            rows = publication.rows(con, cf.PILIER, "departement")
    except store.Unavailable:
        pass
    latest = {}
    for r in rows:
        for key in ("part_30mbits", "part_ftth"):
            if r[key] is not None:
                latest.setdefault(r["code"], {})[key] = r  # rows are ordered by vintage
    table = []
    for code, by in latest.items():
        speed, ftth = by.get("part_30mbits"), by.get("part_ftth")
        table.append(
            {
                "code": code,
                "nom": (speed or ftth)["nom"],
                "speed": speed,
                "ftth": ftth,
                "url": reverse("territoire", args=["departement", code]),
                "projection_depassee": bool(ftth) and cf.passed(ftth["projection_ftth_100"]),
                "millesimes": " / ".join(sorted({r["millesime"] for r in (speed, ftth) if r})),
            }
        )
    reverse_order = tri == "locaux_manquants_30mbits"
    table.sort(key=lambda d: ((d["speed"] if tri != "part_ftth" else d["ftth"]) or {}).get(tri) or 0, reverse=reverse_order)
    context = {"rows": table, "tri": tri, "demo": any(r["demo"] for r in rows), "vide": not rows}
    if table:  # the same ranking as a map: the share of premises connectable to fibre
        from terrinum.pillars.connectivite_fixe.section import FTTH_BINS
        from terrinum.svg import fixed_class, fixed_legend

        shares = {d["code"]: (d["ftth"] or {}).get("part_ftth") for d in table}
        deps = Territory.objects.filter(niveau="departement", code__in=list(shares)).only("nom", "code", "geometrie_carte", "niveau")
        features = [Feature(d.nom, d.geometrie_carte, territory_url(d), fixed_class(shares[d.code], FTTH_BINS), group_of(d.code)) for d in deps]
        context.update(carte=render_map(features, "Part des locaux raccordables à la fibre par département"), legende=fixed_legend(FTTH_BINS))
    return render(request, "web/connectivite_fixe.html", context)


def methodology(request: HttpRequest, name: str) -> HttpResponse:
    """A methodology document shipped in the package (terrinum/methodologie/), from Markdown."""
    from importlib import resources

    from markdown_it import MarkdownIt

    if not re.fullmatch(r"[a-z-]+", name):
        raise Http404(name)
    doc = resources.files("terrinum").joinpath("methodologie", f"methodologie-{name}.md")
    if not doc.is_file():
        raise Http404(name)
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(doc.read_text(encoding="utf-8"))
    # a wide table scrolls in its own focusable box on a phone, as on every other page
    html = html.replace("<table>", '<div class="defilant" tabindex="0"><table class="tableau">').replace("</table>", "</table></div>")
    return render(request, "web/methodologie.html", {"contenu": html, "nom": name})


def france(request: HttpRequest) -> HttpResponse:
    return territory(request, "pays", "FR")


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """404 page with suggestions drawn from the last part of the requested path."""
    words = [p for p in request.path.strip("/").split("/") if p and p not in dict(NIVEAUX) and p != "territoires"]
    suggestions = []
    if words:
        try:
            res = services.resolve(words[-1].replace("-", " "))
            suggestions = [res.territoire] if res.territoire else res.candidats[:10]
        except services.ResolutionError:
            pass
    ctx = {"suggestions": [(s, territory_url(s)) for s in suggestions], "chemin": request.path, "niveaux": NIVEAU_LABELS}
    return render(request, "web/404.html", ctx, status=404)


# Anyone may run the siting up to a département, within proposal.SITING_SECONDS of solving;
# a région or France needs an account and runs as a job (planning.jobs). A visitor without
# account may start SITING_RATE new runs a minute (per server process). docs/exploitation.md.
SITING_RATE = 6
_SITING_RUNS: dict[str, list[float]] = {}


def _rate_limited(request: HttpRequest) -> bool:
    """Whether this visitor without account started SITING_RATE runs in the last minute."""
    import time

    now, client = time.monotonic(), request.META.get("REMOTE_ADDR", "?")
    recent = [t for t in _SITING_RUNS.get(client, []) if now - t < 60]
    if len(_SITING_RUNS) > 10_000:
        _SITING_RUNS.clear()
    if len(recent) >= SITING_RATE:
        _SITING_RUNS[client] = recent
        return True
    _SITING_RUNS[client] = [*recent, now]
    return False


def siting(request: HttpRequest, niveau: str, code: str) -> HttpResponse:
    """ "Où ouvrir N nouveaux lieux ?": the siting optimisation on the web (GET form, runs on
    submit). Up to a département it runs in the request, within SITING_SECONDS; a région or
    France needs an account and goes to the job queue (web.travaux): the page then shows
    the job's progress, then its result."""
    t = services.get(niveau, code)
    if t is None or t.niveau == "arrondissement":
        raise Http404(f"{niveau}/{code}")
    params = proposal.siting_params(request.GET)
    context = {"t": t, "url": territory_url(t), "p": params, "lance": "nouveaux" in request.GET}
    account = request.user.is_authenticated
    context["ouvert_a_tous"] = t.niveau in proposal.SITING_OPEN_LEVELS
    if not context["lance"]:
        return render(request, "web/implantation.html", context)
    if not context["ouvert_a_tous"]:
        if not account:
            context["erreur"] = (
                f"Le calcul pour {t.nom} (une région ou la France entière) est réservé aux comptes de la plateforme : "
                "connectez-vous, ou choisissez un département, une intercommunalité ou une commune."
            )
            return render(request, "web/implantation.html", context, status=403)
        try:
            job = jobs.submit(request.user, t, params)
        except jobs.TooMany as exc:
            context["erreur"] = str(exc)
            return render(request, "web/implantation.html", context, status=429)
        context.update(calcul=job, etapes=jobs.STAGES)
        if job.statut == job.TERMINE:
            context.update(job.resultat)
        elif job.statut == job.ECHEC:
            context["erreur"] = job.erreur
        return render(request, "web/implantation.html", context)
    key = proposal.cache_key(t, params)
    cached = proposal.SITING_CACHE.get(key)
    if cached is not None:
        context.update(cached)
        return render(request, "web/implantation.html", context)
    if not account and _rate_limited(request):
        context["erreur"] = (
            f"Vous avez lancé {SITING_RATE} calculs en une minute : attendez un instant avant le suivant (les résultats déjà calculés restent disponibles)."
        )
        return render(request, "web/implantation.html", context, status=429)
    try:
        result = proposal.siting_result(t, params, proposal.SITING_SECONDS)
    except (ValueError, RuntimeError) as exc:
        context["erreur"] = str(exc)
        return render(request, "web/implantation.html", context, status=400)
    proposal.SITING_CACHE.put(key, result)
    context.update(result)
    return render(request, "web/implantation.html", context)


def downloads(request: HttpRequest) -> HttpResponse:
    """The export files of the published tables (CSV, Parquet), with their dictionary."""
    from terrinum.diagnostic import dictionnaire
    from terrinum.pillars import publication

    tables = []
    try:
        with store.reader() as con:
            when = publication.published_at(con)
            for table, indicators in publication.published().items():
                if publication.available(con, table):
                    tables.append(
                        {
                            "cle": table,
                            "titre": indicators.title or table,
                            "niveaux": [dict(n, libelle=NIVEAU_LABELS[n["niveau"]]) for n in publication.summary(con, table)],
                            "dictionnaire": dictionnaire.rows(table),
                        }
                    )
    except store.Unavailable:
        when = None
    return render(request, "web/donnees.html", {"tables": tables, "publie_le": when})


def download(request: HttpRequest, table: str, niveau: str, fmt: str):
    """One export file, written once per published version, sent as a file (streamed)."""
    from django.http import FileResponse

    from terrinum.pillars import publication

    try:
        path = publication.export_file(table, niveau, fmt)
    except KeyError as exc:
        raise Http404(table) from exc
    except store.Unavailable:
        return render(request, "web/donnees.html", {"tables": [], "indisponible": True}, status=503)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=f"terrinum-{path.name}", content_type=publication.FORMATS[fmt])
    response["Cache-Control"] = "public, max-age=300"
    return response


def _diagnostic_options(request: HttpRequest) -> dict:
    return {
        "nouveaux": proposal.bounded(request.GET, "nouveaux", rendering.DEFAULT_SITES),
        "rayon": proposal.bounded(request.GET, "rayon", rendering.DEFAULT_RADIUS),
    }


@publies.kept_for_visitors
def diagnostic_page(request: HttpRequest, niveau: str, code: str) -> HttpResponse:
    """The territory's diagnostic report (every pillar, peers, priorities, sources)."""
    t = services.get(niveau, code)
    if t is None:
        raise Http404(f"{niveau}/{code}")
    if code != t.code:
        return redirect(territory_url(t) + "diagnostic/")
    return HttpResponse(rendering.html(t, request=request, **_diagnostic_options(request)))


def diagnostic_pdf(request: HttpRequest, niveau: str, code: str) -> HttpResponse:
    """The same report as a PDF, kept per data version."""
    t = services.get(niveau, code)
    if t is None:
        raise Http404(f"{niveau}/{code}")
    options = _diagnostic_options(request)
    key = ("pdf", t.niveau, t.code, tuple(sorted(options.items())), store.version(), change_stamp(), date.today())
    body = rendering.CACHE.get_or_compute(key, lambda: rendering.pdf(t, **options))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="diagnostic-{t.niveau}-{t.code}.pdf"'
    return response


def left_behind_csv(request: HttpRequest, code: str) -> HttpResponse:
    """Every building of a commune below 30 Mbit/s by wire (latest per-building import), as a
    CSV file for spreadsheets (« ; », UTF-8 with BOM)."""
    import csv
    import io

    from terrinum.pillars.technologies.section import described
    from terrinum.warehouse import buildings

    t = services.get("commune", code)
    if t is None:
        raise Http404(code)
    try:
        with store.reader() as con:
            vintage, found = buildings.left_behind(store.buildings_dir(con), t.code)
    except store.Unavailable:
        vintage, found = None, []
    if vintage is None:
        raise Http404("aucun import par immeuble")
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["code_commune", "identifiant_immeuble", "adresse", "locaux", "meilleure_technologie_filaire", "sous_8_mbits", "solutions_sans_fil",
                     "longitude", "latitude", "millesime", "source"])  # fmt: skip
    for b in map(described, found):
        writer.writerow([t.code, b.get("imb_id") or "", b["adresse"], b["n"], b["libelle_filaire"], "oui" if b["inf8"] else "non", b["alternatives"],
                         f"{b['longitude']:.6f}", f"{b['latitude']:.6f}", vintage, "Arcep, Ma connexion internet (par immeuble)"])  # fmt: skip
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="terrinum-{t.code}-immeubles-sans-tres-haut-debit-{vintage}.csv"'
    return response


def master_plan(request: HttpRequest, niveau: str, code: str) -> HttpResponse:
    """The territory's digital master plan, drafted from its data (diagnostic.schema); the
    unit costs of the investment strategy are the reader's (`cout_RIP=…`), never defaults."""
    import json

    from terrinum.diagnostic import schema

    t = services.get(niveau, code)
    if t is None or t.niveau not in schema.LEVELS:
        raise Http404(f"{niveau}/{code}")
    params = schema.parameters(request.GET)
    data = schema.compose_with(t, params)
    fmt = request.GET.get("format")
    if fmt == "json":
        return HttpResponse(json.dumps(data, ensure_ascii=False, indent=2, default=str), content_type="application/json; charset=utf-8")
    if fmt in ("pdf", "odt"):
        body = schema.as_pdf(t, data) if fmt == "pdf" else schema.as_odt(t, data)
        response = HttpResponse(body, content_type="application/pdf" if fmt == "pdf" else "application/vnd.oasis.opendocument.text")
        response["Content-Disposition"] = f'attachment; filename="terrinum-schema-directeur-{t.niveau}-{t.code}.{fmt}"'
        return response
    context = {
        "t": t,
        "s": data,
        "couts_query": schema.query_of(params),
        "url": territory_url(t),
        "financeurs": [(f, schema.FUNDER_LABELS[f], params["parts"][f]) for f in schema.FUNDERS],
        "cibles": ", ".join(map(str, params["cibles"])),
        "hertzien": params["hertzien"],
    }
    context["garde_couts"], context["garde_financement"] = schema.kept_fields(params)
    return render(request, "diagnostic/schema_directeur.html", context)
