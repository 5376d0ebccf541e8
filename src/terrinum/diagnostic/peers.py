"""Peer territories: for every territory of a level, the K most similar territories of the
same level, in one pass (a k-d tree nearest-neighbour query per group).

Similarity rests on four descriptors, each standardised over the level (z-score: a change of
unit or scale leaves the order unchanged): population (log), density (log), share of people
aged 65 and over, poverty rate. The distance between two territories is the root mean square
of their standardised differences over the descriptors both have (the poverty rate is not
published for small communes: statistical secrecy) — symmetric, and comparable whether three
or four descriptors are shared. The k-d tree finds candidates on the three descriptors every
territory has; the exact distance re-ranks them. A commune's peers are taken in its région
by default. Rules: docs/methodologie-diagnostic.md, "Territoires pairs"."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from terrinum.pillars import publication
from terrinum.territories.models import Territory
from terrinum.warehouse import store

K = 10
CANDIDATES = 8  # the tree proposes CANDIDATES × K candidates, re-ranked by the exact distance
DESCRIPTORS = {
    "population": "Population (échelle logarithmique)",
    "densite": "Densité de population (échelle logarithmique)",
    "tx_65etplus": "Part des 65 ans et plus",
    "tx_pauvrete": "Taux de pauvreté",
}
ALWAYS = ("population", "densite", "tx_65etplus")  # the tree's axes (poverty may be missing)


@dataclass(frozen=True)
class Peers:
    """The descriptors of a level (standardised) and each territory's peers."""

    niveau: str
    codes: list[str]
    z: np.ndarray  # len(codes) × len(DESCRIPTORS), NaN where missing
    raw: dict[str, dict]  # code -> descriptor values as published (for display)
    nearest: dict[str, list[tuple[str, float]]]  # code -> [(peer code, distance)], closest first
    same_region: bool

    def distance(self, a: str, b: str) -> float:
        index = {c: i for i, c in enumerate(self.codes)}
        return distance(self.z[index[a]], self.z[index[b]])


def distance(za: np.ndarray, zb: np.ndarray) -> float:
    """Root mean square of the standardised differences over the descriptors both have."""
    shared = ~(np.isnan(za) | np.isnan(zb))
    if not shared.any():
        return math.inf
    return float(np.sqrt(np.mean((za[shared] - zb[shared]) ** 2)))


def distances(z: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """`distance` between each row of `z` and its candidates (indices into `z`), at once."""
    diff = z[candidates] - z[:, None, :]
    shared = ~np.isnan(diff)
    count = shared.sum(axis=-1)
    total = np.where(shared, diff, 0.0) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sqrt(total.sum(axis=-1) / count)
    out[count == 0] = np.inf
    return out


def descriptors(con, niveau: str) -> dict[str, dict]:
    """code -> descriptor values of every territory of a level with a population and an area."""
    rates = {}
    if con is not None and publication.available(con, "fragilite"):
        for code, s65, poverty in con.execute(
            f"SELECT code, tx_65etplus, tx_pauvrete FROM {publication.table_name('fragilite')} WHERE niveau = ?", [niveau]
        ).fetchall():
            rates[code] = (s65, poverty)
    out = {}
    for code, population, area, region in Territory.objects.filter(niveau=niveau).values_list("code", "population", "superficie_km2", "region_code"):
        if not population or not area:
            continue
        s65, poverty = rates.get(code, (None, None))
        out[code] = {"population": population, "densite": population / area, "tx_65etplus": s65, "tx_pauvrete": poverty, "region": region}
    return out


def standardise(values: dict[str, dict]) -> tuple[list[str], np.ndarray]:
    codes = sorted(values)
    matrix = np.array(
        [[_transform(name, values[c][name]) for name in DESCRIPTORS] for c in codes],
        dtype=float,
    ).reshape(len(codes), len(DESCRIPTORS))
    present = ~np.isnan(matrix)
    counts = present.sum(axis=0)
    mean = np.where(present, matrix, 0.0).sum(axis=0) / np.maximum(counts, 1)
    std = np.sqrt((np.where(present, matrix - mean, 0.0) ** 2).sum(axis=0) / np.maximum(counts, 1))
    std[~(std > 0)] = 1.0  # a constant (or absent) descriptor separates nobody
    return codes, (matrix - mean) / std


def _transform(name: str, value) -> float:
    if value is None:
        return math.nan
    if name in ("population", "densite"):
        return math.log10(max(float(value), 1e-3))
    return float(value)


def compute(con, niveau: str, k: int = K, same_region: bool | None = None) -> Peers:
    """Every territory's k peers at a level. `same_region` (default: for communes) keeps a
    commune's peers inside its région."""
    if same_region is None:
        same_region = niveau == "commune"
    values = descriptors(con, niveau)
    codes, z = standardise(values)
    axes = [list(DESCRIPTORS).index(a) for a in ALWAYS]
    groups: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        groups.setdefault(values[code]["region"] if same_region else "", []).append(i)
    nearest: dict[str, list[tuple[str, float]]] = {}
    for members in groups.values():
        complete = [i for i in members if not np.isnan(z[i, axes]).any()]
        if len(complete) < 2:
            continue
        tree = cKDTree(z[np.ix_(complete, axes)])
        want = min(len(complete), CANDIDATES * k + 1)
        _, found = tree.query(z[np.ix_(complete, axes)], k=want)
        found = np.asarray(found).reshape(len(complete), want)
        members_z = z[complete]
        dist = distances(members_z, found)
        dist[found == np.arange(len(complete))[:, None]] = np.inf  # never its own peer
        order = np.lexsort((found, dist), axis=-1)[:, :k]  # by distance, then by code
        for row, i in enumerate(complete):
            picked = [(codes[complete[found[row, j]]], float(dist[row, j])) for j in order[row] if np.isfinite(dist[row, j])]
            nearest[codes[i]] = picked
    return Peers(niveau, codes, z, values, nearest, same_region)


CACHE = store.Cache(16)


def of_level(niveau: str, same_region: bool | None = None) -> Peers:
    """The peers of a level, computed once per warehouse version."""

    def computed():
        try:
            with store.reader() as con:
                return compute(con, niveau, same_region=same_region)
        except store.Unavailable:
            return compute(None, niveau, same_region=same_region)

    return CACHE.get_or_compute((niveau, same_region, store.version()), computed)
