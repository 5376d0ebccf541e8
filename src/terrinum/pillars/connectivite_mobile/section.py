"""The mobile-connectivity section of the territory page and diagnostic report."""

from __future__ import annotations

from terrinum.pillars.connectivite_mobile import indicators as cm
from terrinum.svg import Feature, fixed_class, fixed_legend, render_map
from terrinum.territories.helpers import TerritorySet

MOBILE_BINS = [50, 75, 90, 95, 99]  # share of the population with good 4G from its best operator


def compose(ctx) -> dict | None:
    """Per-operator 4G table, zones blanches, sub-unit choropleth, New Deal sites."""
    con, territory, children = ctx.con, ctx.territory, ctx.children
    if con is None or territory.niveau == "arrondissement":
        return None
    scope = TerritorySet.of(territory.niveau, territory.code)
    own = [r for r in cm.indicator_rows(con, territory.niveau, within=scope) if r["code"] == territory.code]
    if not own:
        return None
    latest = own[-1]
    operators = cm.by_operator(con, territory.niveau, territory.code)
    child_rows = {}
    child_level = children[0].niveau if children else None
    if child_level in ("region", "departement", "commune"):
        for r in cm.indicator_rows(con, child_level, within=scope):
            child_rows[r["code"]] = r  # latest vintage last
    sites = cm.new_deal_sites(con, scope) if territory.niveau != "pays" else []
    enfants = [{"t": c, "url": ctx.url_of(c), "row": child_rows.get(c.code)} for c in children]
    features = [
        Feature(
            e["t"].nom,
            e["t"].geometrie_carte,
            e["url"],
            fixed_class(e["row"]["part_pop_4g_bonne_au_moins_un_min"] if e["row"] else None, MOBILE_BINS),
            ctx.group_of(e["t"]),
        )
        for e in enfants
    ]
    gaps = sorted((e for e in enfants if e["row"] and e["row"]["pop_zone_blanche_4g_max"]), key=lambda e: -e["row"]["pop_zone_blanche_4g_max"])[:10]
    return {
        "row": latest,
        "operateurs": operators,
        "demo": latest["demo"],
        "carte": render_map(features, f"Couverture 4G des sous-territoires de {territory.nom}") if any(e["row"] for e in enfants) else "",
        "legende": fixed_legend(MOBILE_BINS),
        "zones_blanches": gaps,
        "par_code": {e["t"].code: e["row"] for e in enfants if e["row"]},
        "new_deal": sites,
        "en_retard": sum(1 for s in sites if s["statut"] == "en retard"),
    }


def best_operator_4g(data: dict, code: str):
    return (data["par_code"].get(code) or {}).get("part_pop_4g_bonne_au_moins_un_min")
