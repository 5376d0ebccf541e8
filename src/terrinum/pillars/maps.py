"""What the pillars' sections share: the start of a warehouse section and the sub-territory
map (each sub-unit classed on one indicator, with fixed bins so that maps compare)."""

from __future__ import annotations

from terrinum.pillars import publication
from terrinum.svg import Feature, fixed_class
from terrinum.territories.helpers import TerritorySet

MAPPED_LEVELS = ("region", "departement", "commune")  # sub-units with indicator rows


def own_rows(ctx, table: str, **options) -> tuple[TerritorySet, list[dict]] | None:
    """(scope of the territory, its own rows of a pillar's indicator table), or None: no
    warehouse, an arrondissement, or no row (`options`: publication.rows)."""
    if ctx.con is None or ctx.territory.niveau == "arrondissement":
        return None
    scope = TerritorySet.of(ctx.territory.niveau, ctx.territory.code)
    rows = [r for r in publication.rows(ctx.con, table, ctx.territory.niveau, scope, **options) if r["code"] == ctx.territory.code]
    return (scope, rows) if rows else None


def child_level(ctx) -> str | None:
    """Level of the sub-units when indicators exist at that level."""
    level = ctx.children[0].niveau if ctx.children else None
    return level if level in MAPPED_LEVELS else None


def sub_units(ctx, rows_by_code: dict, key: str, bins: list[float]) -> tuple[list[dict], list[Feature]]:
    """The sub-units with their row ({t, url, row}) and their map features classed on `key`."""
    units = [{"t": c, "url": ctx.url_of(c), "row": rows_by_code.get(c.code)} for c in ctx.children]
    features = [
        Feature(u["t"].nom, u["t"].geometrie_carte, u["url"], fixed_class(u["row"][key] if u["row"] else None, bins), ctx.group_of(u["t"])) for u in units
    ]
    return units, features
