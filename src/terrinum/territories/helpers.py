"""Territorial helpers used by every layer, written once: the level -> commune column map,
"a set of territories", the commune reconciler (current / former / arrondissement codes and
a passage table) and the point-in-commune locator. Plain data in, plain data out: the
relational reference and the warehouse both build them from their own tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVELS = ("commune", "epci", "departement", "region", "pays")
# Column of a commune row (reference model or warehouse ref_commune) holding the code of the
# enclosing territory at each level; France has none (every commune is in it).
COMMUNE_COLUMN = {"commune": "code", "epci": "epci_code", "departement": "departement_code", "region": "region_code"}


def check_level(niveau: str) -> str:
    if niveau not in LEVELS:
        raise ValueError(f"niveau inconnu {niveau!r} (attendu : {', '.join(LEVELS)})")
    return niveau


@dataclass(frozen=True)
class TerritorySet:
    """Some territories, as (niveau, code) pairs; `everywhere()` is France whole. The one
    way "which territories" travels between layers (a page's scope, an administrator's
    territories, an export's filter)."""

    members: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, niveau: str, code: str) -> TerritorySet:
        return cls(frozenset({(check_level(niveau), code)}))

    @classmethod
    def everywhere(cls) -> TerritorySet:
        return cls.of("pays", "FR")

    @classmethod
    def from_pairs(cls, pairs) -> TerritorySet:
        return cls(frozenset((n, c) for n, c in pairs if n and c))

    @property
    def is_everywhere(self) -> bool:
        return any(n == "pays" for n, _ in self.members)

    def __bool__(self) -> bool:
        return bool(self.members)

    def __iter__(self):
        return iter(sorted(self.members))

    def commune_conditions(self) -> list[tuple[str, str]]:
        """(commune column, code) conditions, OR-ed, selecting the communes inside the set;
        empty for France whole (every commune) and for an empty set (see `is_everywhere`)."""
        if self.is_everywhere:
            return []
        return [(COMMUNE_COLUMN[n], c) for n, c in sorted(self.members) if n in COMMUNE_COLUMN]

    def single(self) -> tuple[str, str]:
        """The one (niveau, code) of a set of one territory."""
        if len(self.members) != 1:
            raise ValueError("un seul territoire attendu")
        return next(iter(self.members))


class CommuneReconciler:
    """Current commune of a source code: a current code is kept; a commune déléguée or
    associée, or a municipal arrondissement, goes to its current commune; a user-supplied
    passage table (former -> current) resolves the rest; else None ("non rattachée")."""

    def __init__(self, current, aliases: dict[str, str], passage: dict[str, str] | None = None):
        self.current = set(current)
        self.aliases = dict(aliases)
        self.passage = dict(passage or {})

    @classmethod
    def from_reference(cls, passage: dict[str, str] | None = None) -> CommuneReconciler:
        """The reconciler over the relational reference (Django models)."""
        from terrinum.territories.models import CodeAlias, Territory

        current, aliases = [], dict(CodeAlias.objects.values_list("code", "commune_code"))
        for niveau, code, parent in Territory.objects.filter(niveau__in=("commune", "arrondissement")).values_list("niveau", "code", "commune_code"):
            if niveau == "arrondissement":
                aliases[code] = parent
            else:
                current.append(code)
        return cls(current, aliases, passage)

    def __call__(self, code: str) -> tuple[str | None, bool]:
        """(current commune code or None, whether a former code was mapped)."""
        if code in self.current:
            return code, False
        if code in self.aliases:
            return self.aliases[code], True
        target = self.passage.get(code)
        if target is not None:
            target = target if target in self.current else self.aliases.get(target)
            if target:
                return target, True
        return None, False


class PointLocator:
    """Commune of each (longitude, latitude): the commune containing it, else (when
    `max_distance` is given, in degrees) the nearest one within that distance."""

    def __init__(self, codes: list[str], wkb_geometries: list[bytes]):
        import shapely

        self.codes = list(codes)
        self.tree = shapely.STRtree(shapely.from_wkb(list(wkb_geometries)))

    @classmethod
    def from_reference(cls) -> PointLocator:
        """The locator over the relational reference's commune contours (Django models)."""
        from terrinum.territories.models import Territory

        rows = list(Territory.objects.filter(niveau="commune", geometrie__isnull=False).values_list("code", "geometrie"))
        return cls([c for c, _ in rows], [bytes(g) for _, g in rows])

    def locate(self, points, max_distance: float | None = None) -> list[str | None]:
        import shapely

        pts = shapely.points(np.asarray(points, dtype=float).reshape(-1, 2))
        out: list[str | None] = [None] * len(pts)
        for p, g in zip(*self.tree.query(pts, predicate="within")):
            out[p] = self.codes[g] if out[p] is None else out[p]
        missing = [i for i, c in enumerate(out) if c is None]
        if missing and max_distance is not None:
            for p, g in zip(*self.tree.query_nearest(pts[missing], max_distance=max_distance)):
                out[missing[p]] = self.codes[g]
        return out
