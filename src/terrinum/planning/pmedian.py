"""The p-median (objective `distance`): choose p candidates to minimise the weighted distance
from each demand point to its nearest open (existing or new) site; solved exactly with HiGHS
on a sparse formulation (`max_pairs` bounds its size). Method:
methodologie/methodologie-implantation.md."""

from __future__ import annotations

import time

import highspy
import numpy as np

from terrinum.planning.base import Instance, Model, Solution, solve_lp, whole
from terrinum.territories.geometry import nearest_distance


def pmedian_exact(inst: Instance, max_pairs: int = 3_000_000) -> Solution:
    """min sum_i w_i d(i, nearest open site). Pair variables x_ij only where candidate j is
    nearer than i's nearest existing site; u_i assigns i to that existing site."""
    start = time.perf_counter()
    n, m = len(inst.demand_ids), len(inst.candidate_ids)
    d0 = nearest_distance(inst.demand_xy, inst.existing_xy)
    dist = np.sqrt(((inst.demand_xy[:, None, :] - inst.candidate_xy[None, :, :]) ** 2).sum(-1)) if n * m <= max_pairs else None
    if dist is None:
        raise ValueError(
            f"objectif distance : {n} points × {m} candidats dépasse la taille traitée exactement ({whole(max_pairs)} paires) ; choisissez un territoire plus petit ou l'objectif couverture"
        )
    if inst.p == 1 or m <= inst.p:
        # One site (or every candidate): enumeration is exact and instantaneous, where the
        # MIP's LP is highly degenerate (p = 1 took 90 s on a département).
        if m <= inst.p:
            chosen = np.arange(m)
        else:
            totals = (inst.weights[:, None] * np.minimum(dist, d0[:, None])).sum(axis=0)
            chosen = np.array([int(np.argmin(totals))])
        value = total_distance(inst, chosen)
        before = float((inst.weights * d0).sum()) if np.isfinite(d0).all() else float("inf")
        return Solution(
            "distance",
            "exact (énumération)",
            [int(j) for j in chosen],
            value,
            before,
            float(inst.weights.sum()),
            bound=value,
            gap=0.0,
            seconds=time.perf_counter() - start,
        )
    keep = dist < d0[:, None]
    di, cj = np.nonzero(keep)
    k = len(di)
    has_u = np.isfinite(d0)
    nu = int(has_u.sum())
    u_col = np.full(n, -1)
    u_col[has_u] = m + k + np.arange(nu)
    ncol = m + k + nu
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.sense_ = highspy.ObjSense.kMinimize
    w = inst.weights
    lp.col_cost_ = np.concatenate([np.zeros(m), w[di] * dist[di, cj], w[has_u] * d0[has_u]]).astype(float)
    lp.col_lower_ = np.zeros(ncol)
    lp.col_upper_ = np.ones(ncol)
    rows_start, rows_index, rows_value, lo, hi = [0], [], [], [], []
    # Assignment rows: sum_j x_ij + u_i = 1.
    pair_pos = np.arange(k)
    by_i = np.split(pair_pos, np.cumsum(np.bincount(di, minlength=n))[:-1])
    for i in range(n):
        cols = list(m + by_i[i]) + ([int(u_col[i])] if has_u[i] else [])
        rows_index += cols
        rows_value += [1.0] * len(cols)
        rows_start.append(len(rows_index))
        lo.append(1.0)
        hi.append(1.0)
    # Linking rows: x_ij - y_j <= 0.
    link_index = np.empty(2 * k, dtype=np.int64)
    link_index[0::2] = m + pair_pos
    link_index[1::2] = cj
    link_value = np.tile([1.0, -1.0], k)
    base = len(rows_index)
    rows_index += link_index.tolist()
    rows_value += link_value.tolist()
    rows_start += (base + 2 * np.arange(1, k + 1)).tolist()
    lo += [-highspy.kHighsInf] * k
    hi += [0.0] * k
    # Cardinality: sum y_j = p (at most m).
    rows_index += list(range(m))
    rows_value += [1.0] * m
    rows_start.append(len(rows_index))
    p = min(inst.p, m)
    lo.append(float(p))
    hi.append(float(p))
    lp.num_row_ = len(lo)
    lp.row_lower_, lp.row_upper_ = np.array(lo), np.array(hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = ncol, len(lo)
    lp.a_matrix_.start_ = np.array(rows_start, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(rows_index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(rows_value)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * (k + nu)
    x, _, bound = solve_lp(lp)
    chosen = np.flatnonzero(x[:m] > 0.5)
    value = total_distance(inst, chosen)
    before = float((w * d0).sum()) if np.isfinite(d0).all() else float("inf")
    sol = Solution("distance", "exact (HiGHS, PLNE)", [int(j) for j in chosen], value, before, float(w.sum()), seconds=time.perf_counter() - start)
    sol.bound = bound
    sol.gap = max(0.0, (value - bound) / value) if bound is not None and value > 0 else 0.0
    return sol


def total_distance(inst: Instance, chosen) -> float:
    """Sum of w_i × distance to the nearest open site (existing or chosen), in metres."""
    sites = np.vstack([inst.existing_xy, inst.candidate_xy[np.asarray(chosen, dtype=np.int64)]])
    return float((inst.weights * nearest_distance(inst.demand_xy, sites)).sum())


class PMedian(Model):
    """p-median: choose p candidates minimising the weighted distance from each demand point
    to its nearest open (existing or new) site; solved exactly (`max_pairs` bounds the
    formulation's size)."""

    objective = "distance"

    def solve(self, exact: bool | None = None, time_limit: float | None = None, curve: bool = True, max_pairs: int = 3_000_000) -> PMedian:
        if exact is False:
            raise ValueError("l'objectif distance est résolu exactement seulement (--methode auto ou exacte)")
        inst = self.instance
        sol = pmedian_exact(inst, max_pairs)
        if curve:
            sol.curve = [pmedian_exact(Instance(**{**inst.__dict__, "p": k}), max_pairs).value for k in range(1, inst.p + 1)] if inst.p <= 10 else []
        self.solution = sol
        return self
