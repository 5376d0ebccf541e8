"""The digital-fragility section of the territory page and diagnostic report."""

from __future__ import annotations

from terrinum.pillars.fragilite import indicators as fr
from terrinum.svg import Feature, bar_chart, fixed_class, fixed_legend, render_map
from terrinum.territories.helpers import TerritorySet

INDEX_BINS = [80, 95, 105, 120, 140]  # index classes, reference = 100


def compose(ctx) -> dict | None:
    """The four axes against France (and against the parent département for a commune or
    EPCI), people at risk, sub-unit map and table."""
    con, territory, children = ctx.con, ctx.territory, ctx.children
    if con is None or territory.niveau == "arrondissement":
        return None
    scope = TerritorySet.of(territory.niveau, territory.code)
    try:
        rows = fr.indicator_rows(con, territory.niveau, within=scope)
    except ValueError:
        return None
    own = next((r for r in rows if r["code"] == territory.code), None)
    if own is None:
        return None
    local = None
    if territory.niveau in ("commune", "epci") and territory.departement_code:
        local_rows = fr.indicator_rows(con, territory.niveau, within=scope, reference=f"departement:{territory.departement_code}")
        local = next((r for r in local_rows if r["code"] == territory.code), None)
    child_level = children[0].niveau if children else None
    child_rows = {}
    if child_level in ("region", "departement", "commune"):
        child_rows = {r["code"]: r for r in fr.indicator_rows(con, child_level, within=scope)}
    axes = [(fr.AXIS_LABELS[a], own[f"indice_{a}"]) for a in fr.AXES]
    table = [{"libelle": fr.AXIS_LABELS[a], "france": own[f"indice_{a}"], "local": local[f"indice_{a}"] if local else None} for a in fr.AXES]
    enfants = [{"t": c, "url": ctx.url_of(c), "row": child_rows.get(c.code)} for c in children]
    features = [
        Feature(e["t"].nom, e["t"].geometrie_carte, e["url"], fixed_class(e["row"]["indice_global"] if e["row"] else None, INDEX_BINS), ctx.group_of(e["t"]))
        for e in enfants
    ]
    return {
        "row": own,
        "local": local,
        "axes": table,
        "graphique": bar_chart([*axes, ("Indice global", own["indice_global"])], f"Indice de fragilité numérique de {territory.nom} (France = 100)"),
        "carte": render_map(features, f"Indice global de fragilité numérique des sous-territoires de {territory.nom}")
        if any(e["row"] for e in enfants)
        else "",
        "legende": fixed_legend(INDEX_BINS, ""),
        "par_code": {e["t"].code: e["row"] for e in enfants if e["row"]},
        "plus_fragiles": sorted((e for e in enfants if e["row"] and e["row"]["indice_global"] is not None), key=lambda e: -e["row"]["indice_global"])[:10],
        "demo": own["demo"],
        "sans_4g": own["part_pop_sans_4g"] is None,
    }


def global_index(data: dict, code: str):
    return (data["par_code"].get(code) or {}).get("indice_global")
