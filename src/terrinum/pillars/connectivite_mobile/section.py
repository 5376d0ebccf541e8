"""The mobile-connectivity section of the territory page and diagnostic report."""

from __future__ import annotations

from terrinum.pillars import publication
from terrinum.pillars.connectivite_mobile import indicators as cm
from terrinum.pillars.maps import child_level, own_rows, sub_units
from terrinum.svg import fixed_legend, render_map

MOBILE_BINS = [50, 75, 90, 95, 99]  # share of the population with good 4G from its best operator


def compose(ctx) -> dict | None:
    """Per-operator 4G table, zones blanches, sub-unit choropleth, New Deal sites."""
    found = own_rows(ctx, cm.PILIER)
    if found is None:
        return None
    scope, own = found
    territory = ctx.territory
    latest = own[-1]
    operators = cm.by_operator(ctx.con, territory.niveau, territory.code)
    level = child_level(ctx)
    child_rows = {r["code"]: r for r in publication.rows(ctx.con, cm.PILIER, level, scope)} if level else {}  # latest vintage last
    sites = cm.new_deal_sites(ctx.con, scope) if territory.niveau != "pays" else []
    enfants, features = sub_units(ctx, child_rows, "part_pop_4g_bonne_au_moins_un_min", MOBILE_BINS)
    gaps = sorted((e for e in enfants if e["row"] and e["row"]["pop_zone_blanche_4g_max"]), key=lambda e: -e["row"]["pop_zone_blanche_4g_max"])[:10]
    return {
        "row": latest,
        "operateurs": operators,
        "demo": latest["demo"],
        "carte": render_map(features, f"Couverture 4G des sous-territoires {territory.de_nom}") if any(e["row"] for e in enfants) else "",
        "legende": fixed_legend(MOBILE_BINS),
        "zones_blanches": gaps,
        "par_code": {e["t"].code: e["row"] for e in enfants if e["row"]},
        "new_deal": sites,
        "en_retard": sum(1 for s in sites if s["retard_jours"] and not s["en_service"]),
        "en_service_en_retard": sum(1 for s in sites if s["retard_jours"] and s["en_service"]),
    }


def best_operator_4g(data: dict, code: str):
    return (data["par_code"].get(code) or {}).get("part_pop_4g_bonne_au_moins_un_min")
