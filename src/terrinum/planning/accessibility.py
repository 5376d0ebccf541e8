"""Accessibility of accompaniment places: distance from each commune's population to the
nearest place (optionally offering a service), population beyond 5 / 10 / 20 km, rolled up.

Distances are straight lines in the metric projection of the commune's département
(Lambert-93, or the local UTM overseas), measured from the buildings of the commune weighted
by their premises when a per-building import left their positions, else from the commune's
representative point (a point inside the commune, from the reference), times an optional
road-detour factor.
Places of every territory count, so a commune near a border is served by the place across
it. Method: docs/methodologie-lieux.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from terrinum.inclusion.models import Lieu, LieuChangement
from terrinum.planning import siting
from terrinum.sources import arcep_batiments
from terrinum.sources.lieux import FRANCE_BOXES
from terrinum.territories.models import Territory
from terrinum.territories.reference import area_crs, transformer
from terrinum.warehouse import store
from terrinum.warehouse.rollup import declare

THRESHOLDS_KM = (5, 10, 20)
DEFAULT_DETOUR = 1.0
METHOD = "distance à vol d'oiseau (projection Lambert-93, UTM outre-mer) depuis les immeubles (pondérés par leurs locaux) quand un import par immeuble les a laissés, sinon depuis un point représentatif de chaque commune"
PILIER = "accessibilite"
COLUMNS = [
    "code", "nom", "niveau", "service", "source", "demo", "population", "nb_lieux", "distance_moyenne_km",
    *(f"{kind}_au_dela_{km}km" for km in THRESHOLDS_KM for kind in ("pop", "part")),
]  # fmt: skip
declare(PILIER, (
    ("service", "Service pris en compte", None, "libellé du standard des lieux (--service), ou « tous » : tout lieu du registre"),
    ("nb_lieux", "Lieux du registre dans le territoire", "lieux", "somme des communes (lieux rattachés à une commune)"),
    ("distance_moyenne_km", "Distance moyenne au lieu le plus proche", "km", f"{METHOD} ; moyenne pondérée par la population, lieux de tous les territoires"),
    *((f"pop_au_dela_{km}km", f"Habitants à plus de {km} km du lieu le plus proche", "habitants", "somme des communes (population répartie sur les immeubles quand leurs positions sont connues)") for km in THRESHOLDS_KM),
    *((f"part_au_dela_{km}km", f"Part des habitants à plus de {km} km du lieu le plus proche", "%", f"100 × pop_au_dela_{km}km / population") for km in THRESHOLDS_KM),
))

def crs_of_point(lat: float, lon: float) -> str:
    """Projection of a point from the France box it falls in (its commune may be unknown)."""
    for code, (a, b, c, d) in FRANCE_BOXES.items():
        if a <= lat <= b and c <= lon <= d:
            return area_crs(code)
    return area_crs("75")


def project(lon: np.ndarray, lat: np.ndarray, crs: str) -> np.ndarray:
    x, y = transformer("EPSG:4326", crs).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


def places_queryset(service: str | None = None):
    qs = Lieu.objects.filter(latitude__isnull=False)
    return qs.filter(services__contains=service) if service else qs


def registry_version() -> tuple:
    """Changes whenever the registry changes (cache key)."""
    last = LieuChangement.objects.order_by("-id").values_list("id", flat=True).first()
    return (Lieu.objects.count(), last)


_cache: dict = {}


def buildings_folder() -> Path:
    """Where per-building imports leave building positions (see warehouse.ingest)."""
    return store.warehouse_path().parent / "immeubles"


def commune_access(service: str | None = None, detour: float = DEFAULT_DETOUR) -> dict[str, tuple[float, dict[int, float]]]:
    """Commune code -> (population-weighted mean distance in km to the nearest place, times the
    detour factor, and the share of the population beyond each threshold). Population sits on the buildings' premises when a
    per-building import left their positions for the commune's département, else on the
    commune's representative point (share 0 or 1). Cached per registry version."""
    folder = buildings_folder()
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
        d = siting.nearest_distance(a, b) / 1000 * detour
        for (code, *_), km in zip(group, d.tolist()):
            out[code] = (km, {t: float(km > t) for t in THRESHOLDS_KM})
        buildings = arcep_batiments.building_points(folder, sorted({c[1] for c in group}), crs) if stamp else {}
        for code, (xs, ys, n) in buildings.items():
            if code not in out or n.sum() <= 0:
                continue
            dist = siting.nearest_distance(np.column_stack([xs, ys]), b) / 1000 * detour
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
        row = {"code": self.code, "nom": self.nom, "niveau": self.niveau, "population": self.population, "nb_lieux": self.nb_lieux, "distance_moyenne_km": self.distance_moyenne_km}
        for km in THRESHOLDS_KM:
            row[f"pop_au_dela_{km}km"] = self.pop_au_dela[km]
            row[f"part_au_dela_{km}km"] = round(100 * self.pop_au_dela[km] / self.population, 1) if self.population else None
        return row


_LEVEL_COLUMN = {"commune": "code", "epci": "epci_code", "departement": "departement_code", "region": "region_code"}


def indicator_rows(niveau: str, codes: list[str] | None = None, service: str | None = None, detour: float = DEFAULT_DETOUR) -> list[Access]:
    """One row per unit of `niveau` (restricted to `codes`), from commune-level distances."""
    access = commune_access(service, detour)
    communes = Territory.objects.filter(niveau="commune")
    if codes is not None and niveau != "pays":
        communes = communes.filter(**{f"{_LEVEL_COLUMN[niveau]}__in": codes})
    counts: dict[str, int] = {}
    for code in places_queryset(service).exclude(commune_code__isnull=True).values_list("commune_code", flat=True):
        counts[code] = counts.get(code, 0) + 1
    acc: dict[str, dict] = {}
    for c in communes.values("code", "epci_code", "departement_code", "region_code", "population"):
        unit = "FR" if niveau == "pays" else c[_LEVEL_COLUMN[niveau]]
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
