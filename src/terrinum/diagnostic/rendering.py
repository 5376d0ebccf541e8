"""The diagnostic report rendered: the web page, the PDF (WeasyPrint, from the same HTML) and
the files of a batch (diagnostic.batch). The composition is diagnostic.document (data) and
diagnostic.report (the pillars' sections); this module adds the drawings and the template
(templates/diagnostic/). The territory page's density map is drawn here too."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from django.template.loader import render_to_string

from terrinum.diagnostic import document, report
from terrinum.pillars import all_pillars
from terrinum.planning import proposal
from terrinum.svg import Feature, class_index, dot_chart, quantile_classes, render_map
from terrinum.territories import services
from terrinum.territories.models import Territory
from terrinum.territories.services import map_group, territory_url
from terrinum.warehouse import store

DEFAULT_SITES, DEFAULT_RADIUS = 3, 10
SITING_IN_REPORT = ("commune", "epci", "departement")  # beyond: the siting page (a job)
CACHE = store.Cache(32)
CHILD_LABELS = {
    "region": "Régions",
    "departement": "Départements",
    "commune": "Communes",
    "arrondissement": "Arrondissements municipaux",
}


def territory_map(t: Territory, children: list) -> tuple[str, str, list[dict]]:
    """The territory's map: its sub-territories by density (quantile classes), or a commune
    among its intercommunality's. Returns (SVG, title, legend classes)."""
    densities = [c.densite for c in children]
    bounds = quantile_classes(densities)
    features = []
    if children:
        for c in children:
            idx = class_index(c.densite, bounds)
            features.append(Feature(c.nom, c.geometrie_carte, territory_url(c), f"zone classe-{idx}" if idx is not None else "zone sans-donnee", map_group(c)))
        map_title = f"{CHILD_LABELS[children[0].niveau]} {t.de_nom}, par densité de population"
    else:
        # A commune without sub-units: the commune highlighted among its EPCI neighbours.
        siblings = Territory.objects.filter(niveau="commune", epci_code=t.epci_code).exclude(pk=t.pk).defer("geometrie", "mairie") if t.epci_code else []
        features = [Feature(s.nom, s.geometrie_carte, territory_url(s), "zone voisine", map_group(s)) for s in siblings]
        features.append(Feature(t.nom, t.geometrie_carte, None, "zone focus", map_group(t)))
        map_title = f"{t.nom} et les autres communes de son intercommunalité"
    legend = []
    if bounds:
        lower = [0.0] + bounds
        upper = bounds + [None]
        legend = [{"classe": i, "de": lo, "a": hi} for i, (lo, hi) in enumerate(zip(lower, upper))]
    return render_map(features, map_title), map_title, legend


def context(t, nouveaux: int = DEFAULT_SITES, rayon: int = DEFAULT_RADIUS, reference: str = "pays") -> dict:
    """Everything the diagnostic template shows for a territory (read from one version of
    the warehouse, with one connection)."""
    with store.shared_reader():
        return _context(t, nouveaux, rayon, reference)


def _context(t, nouveaux: int, rayon: int, reference: str) -> dict:
    data = document.compose(t, reference)
    children = list(services.children(t).defer("geometrie", "mairie"))
    composed = {s.key: s for s in report.compose(t, children, map_group, territory_url)}
    sections = []
    for pillar in all_pillars():
        spec = pillar.section
        if spec is None:
            continue
        found = composed.get(spec.key)
        # the siting proposal goes with the accompaniment offer
        sections.append({"cle": spec.key, "titre": spec.title, "html": found.render(t) if found else "", "implantation": pillar.key == "lieux"})
    carte, carte_titre, legende = territory_map(t, children)
    params = {"nouveaux": nouveaux, "rayon": rayon, "objectif": "couverture", "poids": "fragilite", "candidats": "mairies"}
    implantation, implantation_erreur = None, None
    if t.niveau in SITING_IN_REPORT:
        try:
            implantation = proposal.kept_result(t, params, proposal.SITING_SECONDS, "diagnostic")
        except (ValueError, RuntimeError) as exc:
            implantation_erreur = str(exc)
    peers = data["pairs"]
    chart = ""
    if peers and peers["chiffres"]:
        chart = dot_chart(
            [(f["libelle"], [p["valeur"] for p in f["pairs"]], f["valeur"], f["unite"]) for f in peers["chiffres"]],
            f"{t.nom} parmi ses territoires pairs",
        )
    return {
        "t": t,
        "d": data,
        "parents": [(p, territory_url(p)) for p in reversed(services.parents(t))],
        "url": territory_url(t),
        "sections": sections,
        "carte": carte,
        "carte_titre": carte_titre,
        "legende": legende,
        "implantation": implantation,
        "implantation_erreur": implantation_erreur,
        # A région or France is computed on request by an account: the page's form, not a launch.
        "implantation_page": f"{territory_url(t)}implantation/" + (f"?nouveaux={nouveaux}&rayon={rayon}" if t.niveau in proposal.SITING_OPEN_LEVELS else ""),
        "p": params,
        "graphique_pairs": chart,
        "aujourdhui": date.today(),
        "projection": services.projection_label(t),
    }


DRAWING = re.compile(r"\.(carte|graphique)\b")


@lru_cache(maxsize=1)
def _stylesheets() -> tuple[list[str], list[str]]:
    """(page rules, drawing rules) of the site's stylesheets, for WeasyPrint: it applies to
    an inline SVG only the styles inside it, so the drawing rules (maps, charts) go inside
    each drawing, their colour variables resolved; the page keeps every rule."""
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = "".join(Path(finders.find(f"terrinum/{name}")).read_text(encoding="utf-8") for name in ("terrinum.css", "diagnostic.css"))
    variables = colours()
    page, drawing, depth = [], [], 0
    for rule in re.findall(r"[^{}]*\{[^{}]*\}|[^{}]*\{|\}", css):  # flat rules, @-blocks opened and closed
        if rule.strip() == "}" or rule.rstrip().endswith("{"):
            depth += 1 if rule.rstrip().endswith("{") else -1
            page.append(rule)
        else:  # a drawing's rules also size the drawing in the page (`.carte { width: 100% }`)
            page.append(rule)
            if depth == 0 and DRAWING.search(rule.split("{")[0]):
                drawing.append(rule)
    return page, [re.sub(r"var\(--([\w-]+)\)", lambda m: variables.get(m.group(1), "currentColor"), rule) for rule in drawing]


def _rules_for(markup: str, rules: list[str]) -> str:
    """The rules that can match in `markup`: those with a selector whose classes all appear
    in it (@-block openings and closings kept). WeasyPrint matches every rule against every
    element and parses each drawing's stylesheet again: the site's whole stylesheet in the
    report and in each drawing cost 0.1 to 0.2 s a report."""
    classes = {c for attribute in re.findall(r'class="([^"]*)"', markup) for c in attribute.split()}
    return "".join(
        rule
        for rule in rules
        if any(set(re.findall(r"\.([\w-]+)", re.sub(r":not\([^)]*\)", "", selector))) <= classes for selector in rule.split("{", 1)[0].split(","))
    )


def html(t, request=None, pdf: bool = False, **options) -> str:
    """The report's HTML page (`pdf`: the standalone variant WeasyPrint lays out: no
    navigation, the stylesheet inlined, and the drawing rules inside each drawing)."""
    if pdf:
        page_rules, drawing = _stylesheets()
        page = _laid_out(t, drawing, **options)
        return page.replace("</head>", f"<style>{_rules_for(page, page_rules)}</style>\n</head>", 1)
    ctx = context(t, **options)
    ctx["pdf"] = False
    return render_to_string("diagnostic/diagnostic.html", ctx, request=request)


def _laid_out(t, drawing: list[str], **options) -> str:
    """The page WeasyPrint lays out, its drawings with their rules, without the page rules."""
    ctx = context(t, **options)
    ctx["pdf"] = True
    page = render_to_string("diagnostic/diagnostic_pdf.html", ctx)
    return re.sub(r"(<svg\b[^>]*>)(.*?</svg>)", lambda m: f"{m.group(1)}<style>{_rules_for(m.group(0), drawing)}</style>{m.group(2)}", page, flags=re.S)


@lru_cache(maxsize=1)
def colours() -> dict[str, str]:
    """The site's colour variables (--c0…--c5 of the map's classes, --gris…)."""
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = Path(finders.find("terrinum/terrinum.css")).read_text(encoding="utf-8")
    return {k: v.strip() for k, v in re.findall(r"--([\w-]+):\s*([^;]+);", css.split("}", 1)[0])}


def pdf(t, **options) -> bytes:
    """The report as a tagged PDF (PDF/UA-1), typeset by Typst from the same HTML
    (diagnostic.typeset; WeasyPrint took ten times longer, docs/notes-techniques.md)."""
    from terrinum.diagnostic import typeset

    _, drawing = _stylesheets()
    return typeset.pdf(_laid_out(t, drawing, **options), colours())
