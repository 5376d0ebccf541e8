"""Accessibility of accompaniment places: distance from each commune's population to the
nearest place (optionally offering a service), population beyond 5 / 10 / 20 km, rolled up.

Distances are straight lines in the metric projection of the commune's département
(Lambert-93, or the local UTM overseas), measured from the buildings of the commune weighted
by their premises when a per-building import left their positions, else from the commune's
representative point (a point inside the commune, from the reference), times an optional
road-detour factor.
Places of every territory count, so a commune near a border is served by the place across
it. Method: methodologie/methodologie-lieux.md. An indicator of the places pillar: it reads the
places registry (the inclusion app) and the reference, not the warehouse."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from terrinum.apps.inclusion.models import Lieu, LieuChangement
from terrinum.pillars.lieux import COLUMNS, DEFAULT_DETOUR, METHOD, PILIER, THRESHOLDS_KM  # noqa: F401 (the pillar declares them)
from terrinum.territories.geometry import crs_of_point, nearest_distance, project
from terrinum.territories.helpers import COMMUNE_COLUMN, TerritorySet
from terrinum.territories.models import Territory
from terrinum.territories.reference import area_crs
from terrinum.warehouse import buildings, store


def places_queryset(service: str | None = None):
    qs = Lieu.objects.filter(latitude__isnull=False)
    return qs.filter(services__contains=service) if service else qs


@dataclass(frozen=True)
class Place:
    """A place of the registry as siting reads it: `accompaniment` when it offers the
    service asked (if any), else declares any service or carries the Comptoir label."""

    identifiant: str
    nom: str
    commune_code: str | None
    latitude: float
    longitude: float
    accompaniment: bool


def located_places(service: str | None = None, communes: set[str] | None = None, libraries: bool = False) -> list[Place]:
    """The registry's located places (offering `service` when given, unless `libraries`: the
    libraries of `communes`, the siting's candidate sites, whatever they offer). Every place of
    the registry is read once per registry version and process (a batch of reports asked for
    them for each report: 1.2 s each with the 15,289 public libraries imported)."""
    from terrinum.apps.inclusion.services import multi

    if not libraries:
        key = ("places", service, registry_version())
        if key not in _cache:
            if len(_cache) > 8:
                _cache.clear()
            _cache[key] = _places(places_queryset(service), service, multi)
        return _cache[key]
    return _places(Lieu.objects.filter(latitude__isnull=False, commune_code__in=communes, typologie__contains="BIB"), service, multi)


def _places(qs, service, multi) -> list[Place]:
    rows = qs.values_list("identifiant", "nom", "commune_code", "latitude", "longitude", "services", "comptoir_numerique")
    return [Place(i, n, c, lat, lon, service in multi(services) if service else bool(services) or comptoir) for i, n, c, lat, lon, services, comptoir in rows]


def registry_version() -> tuple:
    """Changes whenever the registry changes (cache key)."""
    last = LieuChangement.objects.order_by("-id").values_list("id", flat=True).first()
    return (Lieu.objects.count(), last)


_cache: dict = {}


def commune_access(service: str | None = None, detour: float = DEFAULT_DETOUR) -> dict[str, tuple[float, dict[int, float]]]:
    """Commune code -> (population-weighted mean distance in km to the nearest place, times the
    detour factor, and the share of the population beyond each threshold). Population sits on the buildings' premises when a
    per-building import left their positions for the commune's département, else on the
    commune's representative point (share 0 or 1). Cached per registry version."""
    folder = store.buildings_root()
    stamp = max((f.stat().st_mtime for f in folder.rglob("*.parquet")), default=None) if folder.is_dir() else None
    key = (service, detour, registry_version(), stamp)
    if key in _cache:
        return _cache[key]
    communes = list(Territory.objects.filter(niveau="commune", latitude__isnull=False).values_list("code", "departement_code", "latitude", "longitude"))
    places = list(places_queryset(service).values_list("latitude", "longitude"))
    place_crs = [crs_of_point(lat, lon) for lat, lon in places]
    out: dict[str, tuple[float, dict[int, float]]] = {}
    for crs in sorted({area_crs(dep) for _, dep, _, _ in communes}):
        group = [c for c in communes if area_crs(c[1]) == crs]
        pts = [p for p, pc in zip(places, place_crs) if pc == crs]
        b = project([p[1] for p in pts], [p[0] for p in pts], crs) if pts else np.empty((0, 2))
        a = project([c[3] for c in group], [c[2] for c in group], crs)
        d = nearest_distance(a, b) / 1000 * detour
        for (code, *_), km in zip(group, d.tolist()):
            out[code] = (km, {t: float(km > t) for t in THRESHOLDS_KM})
        premises = buildings.points_by_commune(folder, sorted({c[1] for c in group}), crs) if stamp else {}
        for code, (xs, ys, n) in premises.items():
            if code not in out or n.sum() <= 0:
                continue
            dist = nearest_distance(np.column_stack([xs, ys]), b) / 1000 * detour
            w = n / n.sum()
            out[code] = (float((w * dist).sum()) if np.isfinite(dist).all() else float("inf"), {t: float(w[dist > t].sum()) for t in THRESHOLDS_KM})
    if len(_cache) > 8:
        _cache.clear()
    _cache[key] = out
    return out


def commune_distances(service: str | None = None) -> dict[str, float]:
    """Commune code -> population-weighted mean distance (km) to the nearest place."""
    return {code: mean for code, (mean, _) in commune_access(service).items()}


@dataclass
class Access:
    code: str
    nom: str
    niveau: str
    population: int
    nb_lieux: int
    distance_moyenne_km: float | None  # population-weighted
    pop_au_dela: dict  # km -> population beyond

    def as_dict(self) -> dict:
        row = {
            "code": self.code,
            "nom": self.nom,
            "niveau": self.niveau,
            "population": self.population,
            "nb_lieux": self.nb_lieux,
            "distance_moyenne_km": self.distance_moyenne_km,
        }
        for km in THRESHOLDS_KM:
            row[f"pop_au_dela_{km}km"] = self.pop_au_dela[km]
            row[f"part_au_dela_{km}km"] = round(100 * self.pop_au_dela[km] / self.population, 1) if self.population else None
        return row


def indicator_rows(niveau: str, codes: list[str] | None = None, service: str | None = None, detour: float = DEFAULT_DETOUR) -> list[Access]:
    """One row per unit of `niveau` (restricted to `codes`), from commune-level distances."""
    access = commune_access(service, detour)
    communes = Territory.objects.filter(niveau="commune")
    if codes is not None and niveau != "pays":
        communes = communes.filter(**{f"{COMMUNE_COLUMN[niveau]}__in": codes})
    members = list(communes.values("code", "epci_code", "departement_code", "region_code", "population"))
    places = places_queryset(service).exclude(commune_code__isnull=True)
    if codes is not None and niveau != "pays":  # the places of these communes only, not the whole registry
        places = places.filter(commune_code__in=[c["code"] for c in members])
    counts: dict[str, int] = {}
    for code in places.values_list("commune_code", flat=True):
        counts[code] = counts.get(code, 0) + 1
    acc: dict[str, dict] = {}
    for c in members:
        unit = "FR" if niveau == "pays" else c[COMMUNE_COLUMN[niveau]]
        if unit is None:
            continue
        a = acc.setdefault(unit, {"pop": 0, "n": 0, "wd": 0.0, "known": 0, **{km: 0 for km in THRESHOLDS_KM}})
        pop = c["population"] or 0
        mean, beyond = access.get(c["code"], (float("inf"), dict.fromkeys(THRESHOLDS_KM, 1.0)))
        a["pop"] += pop
        a["n"] += counts.get(c["code"], 0)
        if np.isfinite(mean):
            a["wd"] += pop * mean
            a["known"] += pop
        for km in THRESHOLDS_KM:
            a[km] += round(pop * beyond[km])
    names = dict(Territory.objects.filter(niveau=niveau, code__in=list(acc)).values_list("code", "nom"))
    rows = []
    for unit in sorted(acc):
        a = acc[unit]
        mean = round(a["wd"] / a["known"], 2) if a["known"] else None
        rows.append(Access(unit, names.get(unit, unit), niveau, a["pop"], a["n"], mean, {km: a[km] for km in THRESHOLDS_KM}))
    return rows


def table_rows(con, niveau: str, within: TerritorySet | None, service: str | None = None, detour: float = DEFAULT_DETOUR) -> list[dict]:
    """The published accessibility table (`terrinum indicateurs accessibilite`): one row per
    unit of `niveau` inside `within`, with the service, source and demo columns."""
    from terrinum.accounts import policy

    if detour < 1:
        raise ValueError("--detour doit être supérieur ou égal à 1")
    if not Lieu.objects.exists():
        raise ValueError("le registre des lieux est vide : importez des lieux (terrinum ingest lieux-mediation ou lieux-bibliotheques).")
    codes = None
    if within is not None:
        communes = policy.commune_codes_of(within)
        column = COMMUNE_COLUMN.get(niveau)
        codes = sorted({c for c in Territory.objects.filter(niveau="commune", code__in=communes).values_list(column, flat=True) if c}) if column else None
    rows = [r.as_dict() for r in indicator_rows(niveau, codes, service=service, detour=detour)]
    source = f"registre des lieux ({Lieu.objects.count()} lieux) ; {METHOD}" + (f", facteur de détour {detour:g}" if detour != 1 else "")
    meta = {"service": service or "tous", "source": source, "demo": False}
    return [{c: meta[c] if c in meta else r[c] for c in COLUMNS} for r in rows]
