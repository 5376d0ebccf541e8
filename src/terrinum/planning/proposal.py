"""A siting proposal as users see it: the optimisation run (planning.implantation) and its
drawings (a map of the communes reached, the coverage curve), bounded for the web and kept
per parameters, warehouse version and change stamp of the operational apps."""

from __future__ import annotations

from terrinum.pillars import change_stamp
from terrinum.svg import Feature, Marker, group_of, line_chart, render_map
from terrinum.territories.geometry import nearest_distance
from terrinum.territories.models import Territory
from terrinum.territories.services import map_group, territory_url
from terrinum.warehouse import store

SITING_LIMITS = {"nouveaux": (1, 20), "rayon": (1, 50)}
# Costly work on the web is bounded: up to a département a request solves within
# SITING_SECONDS; a région or France runs as a job (planning.jobs, a larger time limit). A
# result is kept per parameters, warehouse version and change stamp, so asking again costs
# nothing. docs/exploitation.md.
SITING_OPEN_LEVELS = ("commune", "epci", "departement")
SITING_SECONDS = 2.0
SITING_CACHE = store.Cache(64)

MAX_COMMUNES_DRAWN = 2000
# A web request solves exactly up to a département; beyond, the heuristic (a few seconds).
WEB_EXACT_MAX_COMMUNES = 1500
WEB_PMEDIAN_MAX_PAIRS = 300_000  # about 500 communes × 500 candidates


def bounded(get, name: str, default: int) -> int:
    """An integer parameter of a siting run, within SITING_LIMITS (the default when unreadable)."""
    lo, hi = SITING_LIMITS[name]
    try:
        return min(max(int(get.get(name, default)), lo), hi)
    except ValueError:
        return default


def siting_params(get) -> dict:
    """The parameters of a siting run from a query string, bounded (SITING_LIMITS)."""
    from terrinum.planning import implantation as planning
    from terrinum.planning import siting as solver

    return {
        "nouveaux": bounded(get, "nouveaux", 2),
        "rayon": bounded(get, "rayon", 10),
        "objectif": get.get("objectif") if get.get("objectif") in solver.MODELS else "couverture",
        "poids": get.get("poids") if get.get("poids") in planning.WEIGHTS else "fragilite",
        "candidats": get.get("candidats") if get.get("candidats") in planning.CANDIDATES else "mairies",
    }


def siting_result(t: Territory, params: dict, time_limit: float, step=lambda message: None) -> dict:
    """Run the siting optimisation and draw its result: {"r", "carte", "courbe", "hors"} (the
    drawings as SVG text). `step(message)` is told each stage (a job's progress). Raises
    ValueError or RuntimeError with a message for the user."""
    import numpy as np

    from terrinum.planning import implantation as planning
    from terrinum.planning import siting as solver

    step("Préparation des communes, des lieux existants et des sites candidats")
    plan = planning.build(t, params["nouveaux"], params["rayon"], params["objectif"], params["poids"], params["candidats"])
    step(f"Optimisation ({len(plan.instance.demand_ids)} communes, au plus {time_limit:.0f} s)")
    sol = solver.solve(
        plan.instance,
        exact=None if params["objectif"] == "distance" else len(plan.instance.demand_ids) <= WEB_EXACT_MAX_COMMUNES,
        max_pairs=WEB_PMEDIAN_MAX_PAIRS,
        time_limit=time_limit,
    )
    step("Dessin de la carte")
    result = planning.describe(plan, sol)
    inst = plan.instance
    radius = inst.radius_m
    d_before = nearest_distance(inst.demand_xy, inst.existing_xy)
    d_after = np.minimum(d_before, nearest_distance(inst.demand_xy, inst.candidate_xy[np.asarray(sol.chosen, dtype=np.int64)]))
    status = {}
    for code_, before, after in zip(inst.demand_ids, d_before, d_after):
        status[code_] = "avant" if before <= radius else ("nouveau" if after <= radius else "hors")
    css = {"avant": "zone classe-1", "nouveau": "zone classe-4", "hors": "zone sans-donnee"}
    if len(inst.demand_ids) <= MAX_COMMUNES_DRAWN:
        communes = Territory.objects.filter(niveau="commune", code__in=inst.demand_ids).only("nom", "code", "geometrie_carte", "departement_code", "niveau")
        features = [
            Feature(c.nom, c.geometrie_carte, territory_url(c), css[status[c.code]] if inst.objective == "couverture" else "zone voisine", map_group(c))
            for c in communes
        ]
    else:  # too many communes for one drawing: départements as background
        deps = Territory.objects.filter(niveau="departement", **({} if t.niveau == "pays" else {"region_code": t.code})).only(
            "nom", "code", "geometrie_carte", "niveau"
        )
        features = [Feature(d.nom, d.geometrie_carte, territory_url(d), "zone voisine", group_of(d.code)) for d in deps]
    dep_of = dict(Territory.objects.filter(niveau="commune", code__in=inst.demand_ids).values_list("code", "departement_code"))
    markers = [
        Marker(s["longitude"], s["latitude"], f"Nouveau site : {s['nom']}", "point nouveau", 6, group_of(dep_of.get(s["commune_code"])))
        for s in result["sites_choisis"]
    ]
    if len(inst.demand_ids) <= MAX_COMMUNES_DRAWN:
        markers += [
            Marker(s.longitude, s.latitude, f"Lieu existant : {s.nom}", "point existant", 3.5, group_of(dep_of.get(s.commune_code)))
            for s in plan.existing
            if s.commune_code in status
        ]
    courbe = ""
    if inst.objective == "couverture" and result["courbe"]:
        courbe = line_chart(
            [("0", result["part_couverte_avant"])] + [(str(pt["nouveaux_sites"]), pt["part_couverte"]) for pt in result["courbe"]],
            "Part du poids couverte selon le nombre de nouveaux sites",
            y_label="%",
            y_max=100.0,
        )
    return {
        "r": result,
        "carte": str(render_map(features, f"Implantation de {params['nouveaux']} nouveau(x) lieu(x) — {t.nom}", markers=markers)),
        "courbe": str(courbe),
        "hors": sum(1 for v in status.values() if v == "hors"),
    }


def cache_key(t: Territory, params: dict, *scope) -> tuple:
    """What a proposal depends on: territory, parameters, data version, the apps' state."""
    return (*scope, t.niveau, t.code, tuple(sorted(params.items())), store.version(), change_stamp())


def kept_result(t: Territory, params: dict, time_limit: float = SITING_SECONDS, *scope) -> dict:
    """The proposal, computed once per cache_key."""
    return SITING_CACHE.get_or_compute(cache_key(t, params, *scope), lambda: siting_result(t, params, time_limit))
