"""What the siting models share: an instance (demand points with weights, candidate sites,
existing sites, all in one metric projection), a solution, the base of a model (built from an
instance, `solve()`, then its results: the shape of spopt's models), and the HiGHS helpers.
The models: planning.mclp (coverage), planning.pmedian (distance); planning.siting picks the
model of an instance's objective. Method: methodologie/methodologie-implantation.md."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import highspy
import numpy as np

_highs_banner_done = False


def _highs() -> highspy.Highs:
    """A silent HiGHS instance (HiGHS prints a banner on stdout once per process: keep it out
    of JSON output)."""
    global _highs_banner_done
    if not _highs_banner_done:
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _highs_banner_done = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


@dataclass
class Instance:
    """Everything needed to solve and to check a siting problem with another solver."""

    crs: str
    objective: str
    p: int
    radius_m: float
    demand_ids: list[str]
    demand_xy: np.ndarray  # (n, 2) metres
    weights: np.ndarray  # (n,)
    candidate_ids: list[str]
    candidate_xy: np.ndarray  # (m, 2)
    existing_ids: list[str] = field(default_factory=list)
    existing_xy: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    candidate_names: list[str] = field(default_factory=list)
    weight_label: str = "population"

    def to_json(self) -> str:
        def pts(ids, xy, extra=None):
            return [{"id": i, "x": round(float(x), 2), "y": round(float(y), 2), **(extra(k) if extra else {})} for k, (i, (x, y)) in enumerate(zip(ids, xy))]

        return json.dumps(
            {
                "crs": self.crs,
                "objectif": self.objective,
                "nouveaux_sites": self.p,
                "rayon_m": self.radius_m,
                "poids": self.weight_label,
                "distance": "euclidienne dans la projection (mètres)",
                "demande": pts(self.demand_ids, self.demand_xy, lambda k: {"poids": float(self.weights[k])}),
                "candidats": pts(self.candidate_ids, self.candidate_xy),
                "existants": pts(self.existing_ids, self.existing_xy),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Instance:
        d = json.loads(text)

        def xy(items):
            return np.array([[p["x"], p["y"]] for p in items], dtype=float).reshape(-1, 2)

        return cls(
            crs=d["crs"], objective=d["objectif"], p=d["nouveaux_sites"], radius_m=d["rayon_m"], weight_label=d.get("poids", ""),
            demand_ids=[p["id"] for p in d["demande"]], demand_xy=xy(d["demande"]), weights=np.array([p["poids"] for p in d["demande"]], dtype=float),
            candidate_ids=[p["id"] for p in d["candidats"]], candidate_xy=xy(d["candidats"]),
            existing_ids=[p["id"] for p in d["existants"]], existing_xy=xy(d["existants"]),
        )  # fmt: skip


@dataclass
class Solution:
    objective: str
    method: str  # "exact (HiGHS, PLNE)", "heuristique (glouton, …)"
    chosen: list[int]  # candidate indices, in order of marginal gain for the heuristic
    value: float  # covered weight (couverture) or total weighted distance in metres (distance)
    before: float  # same measure with existing sites only
    total_weight: float
    bound: float | None = None  # LP bound (couverture: upper bound)
    gap: float | None = None  # (bound - value) / bound
    seconds: float = 0.0
    curve: list[float] = field(default_factory=list)  # value with 1..p new sites
    notes: list[str] = field(default_factory=list)


def solve_lp(lp: highspy.HighsLp, time_limit: float | None = None, start=None, integral: bool = False) -> tuple[np.ndarray, float, float | None]:
    """Solve to optimality: with integral objective coefficients an absolute gap below 1
    proves optimality; otherwise a relative gap of 1e-9."""
    h = _highs()
    if time_limit:
        h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0 if integral else 1e-9)
    if integral:
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit):
        raise RuntimeError(f"HiGHS : {h.modelStatusToString(status)}")
    info = h.getInfo()
    bound = info.mip_dual_bound if lp.integrality_ else None
    return np.asarray(h.getSolution().col_value), info.objective_function_value, bound


def relative_gap(bound: float | None, value: float) -> float | None:
    if bound is None:
        return None
    return max(0.0, (bound - value) / bound) if bound > 0 else 0.0


def whole(x: float) -> str:
    """A whole number for a French message: thousands separated by spaces."""
    return f"{x:,.0f}".replace(",", " ")


class Model:
    """A siting model: built from an instance of its objective, `solve()`, then its results
    (`solution`, `chosen_ids`)."""

    objective = ""

    def __init__(self, instance: Instance):
        if instance.objective != self.objective:
            raise ValueError(f"objectif « {instance.objective} » : ce modèle résout « {self.objective} »")
        if instance.p < 1:
            raise ValueError("au moins un nouveau site")
        self.instance = instance
        self.solution: Solution | None = None

    @classmethod
    def from_instance(cls, instance: Instance) -> Model:
        return cls(instance)

    def solve(self, exact: bool | None = None, time_limit: float | None = None, curve: bool = True, max_pairs: int = 3_000_000) -> Model:
        raise NotImplementedError

    @property
    def chosen_ids(self) -> list[str]:
        return [self.instance.candidate_ids[j] for j in self.solution.chosen]
