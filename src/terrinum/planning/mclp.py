"""The maximal covering location problem (MCLP, objective `couverture`): choose p candidates
to maximise the weight within the radius of an existing or new site. Solved exactly with
HiGHS on a sparse formulation (only demand-candidate pairs that can matter are variables;
above REDUCE_ABOVE_PAIRS pairs, reduced first by Lagrangian fixing), or by a heuristic
(greedy, swaps, large-neighbourhood search with exact sub-problems) whose gap to a bound is
reported. Method: methodologie/methodologie-implantation.md."""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import highspy
import numpy as np

from terrinum.planning.base import Instance, Model, Solution, _highs, relative_gap, solve_lp, whole
from terrinum.territories.geometry import nearest_distance, pairs_within

# Above this many demand-candidate pairs the MCLP is reduced (Lagrangian fixing) before the MIP.
REDUCE_ABOVE_PAIRS = 50_000


@dataclass
class _Cover:
    """The MCLP reduced to what matters: demand not yet covered by existing sites, and for
    each candidate the uncovered demand it would cover."""

    open_demand: np.ndarray  # indices into the instance's demand
    w: np.ndarray  # weights of open demand
    di: np.ndarray  # pair demand index (into open_demand)
    cj: np.ndarray  # pair candidate index
    covered_before: float


def _cover(inst: Instance) -> _Cover:
    d_exist = nearest_distance(inst.demand_xy, inst.existing_xy)
    covered = d_exist <= inst.radius_m
    open_demand = np.flatnonzero(~covered & (inst.weights > 0))
    i, j = pairs_within(inst.demand_xy[open_demand], inst.candidate_xy, inst.radius_m)
    return _Cover(open_demand, inst.weights[open_demand], i, j, float(inst.weights[covered].sum()))


def _mclp_model(c: _Cover, m: int, p: int, integer: bool) -> highspy.HighsLp:
    """Variables: y_j (candidates, binary), z_i (open demand, [0, 1]). Max sum w_i z_i subject
    to z_i <= sum_{j covers i} y_j and sum y_j <= p. Row-wise sparse matrix."""
    n = len(c.open_demand)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m + n, n + 1
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(m), c.w]).astype(float)
    lp.col_lower_ = np.zeros(m + n)
    lp.col_upper_ = np.ones(m + n)
    lp.row_lower_ = np.concatenate([np.full(n, -highspy.kHighsInf), [0.0]])
    lp.row_upper_ = np.concatenate([np.zeros(n), [float(p)]])
    counts = np.bincount(c.di, minlength=n)
    # Row i: +1 * z_i, then -1 * y_j for each covering candidate; last row: all y_j.
    starts = np.concatenate([[0], np.cumsum(counts + 1)])
    index = np.empty(starts[-1] + m, dtype=np.int32)
    value = np.empty(starts[-1] + m)
    index[starts[:-1]] = m + np.arange(n)
    value[starts[:-1]] = 1.0
    offsets = np.repeat(starts[:-1] + 1, counts) + (np.arange(len(c.di)) - np.repeat(np.cumsum(counts) - counts, counts))
    index[offsets] = c.cj
    value[offsets] = -1.0
    index[starts[-1] :] = np.arange(m)
    value[starts[-1] :] = 1.0
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = m + n, n + 1
    lp.a_matrix_.start_ = np.concatenate([starts, [starts[-1] + m]]).astype(np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * n
    return lp


def _start(c: _Cover, m: int, chosen) -> np.ndarray:
    """A MIP start for `_mclp_model(c, m, ...)`: the chosen candidates open, and the demand
    they cover marked covered."""
    x = np.zeros(m + len(c.w))
    x[chosen] = 1.0
    x[m:] = _Pairs(c, m).covered(chosen)
    return x


def _ranges(starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Concatenated positions starts[r]:starts[r + 1] of the given CSR rows."""
    lengths = starts[rows + 1] - starts[rows]
    offsets = np.repeat(starts[rows] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return offsets + np.arange(int(lengths.sum()))


def _positions(n: int, members) -> np.ndarray:
    """For each of n items, its position among `members`, or -1 when it is not one."""
    out = np.full(n, -1)
    out[members] = np.arange(len(members))
    return out


class _Pairs:
    """Both directions of the sparse coverage relation, as CSR arrays."""

    def __init__(self, c: _Cover, m: int, radius: float = np.inf):
        self.c, self.m, self.n, self.radius = c, m, len(c.open_demand), radius
        order = np.argsort(c.cj, kind="stable")
        self.cand_demand = c.di[order]
        self.cstart = np.concatenate([[0], np.cumsum(np.bincount(c.cj, minlength=m))])
        self.dstart = np.concatenate([[0], np.cumsum(np.bincount(c.di, minlength=self.n))])

    def demand_of(self, j: int) -> np.ndarray:
        return self.cand_demand[self.cstart[j] : self.cstart[j + 1]]

    def covered(self, chosen) -> np.ndarray:
        """Which open demand the chosen candidates cover (from the sites themselves, so solver
        values like 1e-15 for closed sites are never read as open)."""
        hit = np.zeros(self.n, dtype=bool)
        for j in chosen:
            hit[self.demand_of(j)] = True
        return hit

    def value(self, chosen) -> float:
        return float(self.c.w[self.covered(chosen)].sum())


def lagrangian(pairs: _Pairs, p: int, target: float, iterations: int = 400, lam: np.ndarray | None = None) -> tuple[float, np.ndarray, list[int], float]:
    """Subgradient optimisation of the Lagrangian relaxation of the coverage constraints.
    Any multipliers give an upper bound (never below the LP bound); the best one is returned
    with its multipliers, and the best feasible solution met on the way (the top-p candidates
    by reduced profit) with its value."""
    c, m = pairs.c, pairs.m
    w, di, cj = c.w, c.di, c.cj
    p = min(p, m)
    lam = w / 2 if lam is None else lam
    best, best_lam, mu, since = np.inf, lam, 2.0, 0
    feasible, feasible_value = [], -1.0
    for _ in range(iterations):
        r = np.bincount(cj, weights=lam[di], minlength=m)
        top = np.argpartition(-r, p - 1)[:p] if p < m else np.arange(m)
        z = w > lam
        val = float((w - lam)[z].sum() + r[top].sum())
        if val < best - 1e-9:
            best, best_lam, since = val, lam, 0
        else:
            since += 1
            if since >= 20:
                mu, since = mu / 2, 0
        cover = np.bincount(pairs.cand_demand[_ranges(pairs.cstart, top)], minlength=len(w))
        got = float(w[cover > 0].sum())
        if got > feasible_value:
            feasible, feasible_value = [int(j) for j in top], got
        g = cover - z
        norm = float((g * g).sum())
        if norm == 0 or mu < 1e-6:
            break
        lam = np.clip(lam - mu * (val - max(target, feasible_value)) / norm * g, 0, w)
    return best, best_lam, feasible, feasible_value


SWAP_BLOCK_CELLS = 4_000_000  # sites × candidates evaluated at once by the swap search


def _swap_search(pairs: _Pairs, chosen: list[int], deadline: float) -> list[int]:
    """Best-improvement 1-swap local search. The value of every swap (site s out, candidate
    j in) is computed at once: gain of j on uncovered demand, plus the demand only s covers
    that j covers too, minus what only s covers. The best swap is applied while it improves
    or until the deadline; sites are taken in blocks so that memory stays bounded."""
    c, m, n = pairs.c, pairs.m, pairs.n
    w, di, cj = c.w, c.di, c.cj
    chosen = list(chosen)
    p = len(chosen)
    pos = _positions(m, chosen)
    tolerance = 1e-9 * max(1.0, float(w.sum()))
    block = max(1, SWAP_BLOCK_CELLS // max(m, 1))
    while time.perf_counter() < deadline:
        open_pair = pos[cj] >= 0
        count = np.bincount(di[open_pair], minlength=n)
        owner = np.full(n, -1)
        owner[di[open_pair]] = pos[cj[open_pair]]  # the chosen site covering i, when only one does
        gain = np.bincount(cj, weights=w[di] * (count[di] == 0), minlength=m)
        single = count == 1
        loss = np.bincount(owner[single], weights=w[single], minlength=p)
        shared = single[di]
        s_of, j_of, w_of = owner[di[shared]], cj[shared], w[di[shared]]
        best, best_s, best_j = tolerance, -1, -1
        for lo in range(0, p, block):
            hi = min(p, lo + block)
            inside = (s_of >= lo) & (s_of < hi)
            delta = np.bincount((s_of[inside] - lo) * m + j_of[inside], weights=w_of[inside], minlength=(hi - lo) * m).reshape(hi - lo, m)
            delta += gain[None, :]
            delta -= loss[lo:hi, None]
            delta[:, chosen] = -np.inf
            k = int(np.argmax(delta))
            if delta.flat[k] > best:
                best, best_s, best_j = float(delta.flat[k]), lo + k // m, k % m
        if best_s < 0:
            break
        pos[chosen[best_s]] = -1
        pos[best_j] = best_s
        chosen[best_s] = best_j
    return chosen


LNS_FREE = 8  # chosen sites re-placed together by one large-neighbourhood move
LNS_GLOBAL = 100  # best candidates anywhere (gain on demand left uncovered) added to each move
LNS_MOVE_SECONDS = 0.5  # a move whose sub-problem is hard stops there, with its best placement
LNS_PATIENCE = 50  # moves in a row without improvement before giving up


def _improve(pairs: _Pairs, xy: np.ndarray, chosen: list[int], deadline: float, bound: float = np.inf, seed: int = 0) -> list[int]:
    """Swap search to a local optimum, then large-neighbourhood search until the deadline or
    the bound: free the LNS_FREE chosen sites nearest a random one and re-place them exactly
    (HiGHS) among the candidates within 2 radii of them and the LNS_GLOBAL best candidates
    anywhere, the other sites fixed; a move is kept when it is no worse (then swaps again).
    Stops after LNS_PATIENCE moves without improvement, after a move that freed every site
    without improving (the next ones would solve the same sub-problem), or after one move that
    freed every site among every candidate (it solved the whole problem). Seeded, so
    reproducible for a given number of moves."""
    rng = np.random.default_rng(seed)
    c, m = pairs.c, pairs.m
    w, di, cj = c.w, c.di, c.cj
    best = _swap_search(pairs, list(chosen), deadline)
    best_value = pairs.value(best)
    reach = 2 * pairs.radius
    integral = bool(np.all(w == np.round(w)))
    idle, solved_all = 0, False
    while time.perf_counter() < deadline and len(best) and best_value < bound - 1e-9 * abs(bound) and idle < LNS_PATIENCE and not solved_all:
        anchor = xy[best[int(rng.integers(len(best)))]]
        order = np.argsort(((xy[best] - anchor) ** 2).sum(axis=1))
        k = min(LNS_FREE, len(best))
        freed = [best[i] for i in order[:k]]
        fixed = [best[i] for i in order[k:]]
        covered = pairs.covered(fixed)
        gain = np.bincount(cj, weights=w[di] * ~covered[di], minlength=m)
        near = np.zeros(m, dtype=bool)
        for j in freed:
            near |= ((xy - xy[j]) ** 2).sum(axis=1) <= reach * reach
        near[np.argpartition(-gain, min(LNS_GLOBAL, m - 1))[:LNS_GLOBAL]] = True
        near[fixed] = False
        near[freed] = True
        solved_all = not fixed and bool(near.all())
        every = not fixed  # this move frees every site: repeating it would solve the same sub-problem
        sub_cands = np.flatnonzero(near)
        mask = near[cj] & ~covered[di]
        sub_demand = np.unique(di[mask])
        dmap, smap = _positions(pairs.n, sub_demand), _positions(m, sub_cands)
        sub = _Cover(sub_demand, w[sub_demand], dmap[di[mask]], smap[cj[mask]], 0.0)
        lp = _mclp_model(sub, len(sub_cands), k, integer=True)
        start_x = _start(sub, len(sub_cands), smap[freed])
        x, _, _ = solve_lp(lp, max(0.05, min(LNS_MOVE_SECONDS, deadline - time.perf_counter())), start=start_x, integral=integral)
        placed = sub_cands[np.flatnonzero(x[: len(sub_cands)] > 0.5)].tolist()
        placed += [j for j in freed if j not in placed][: k - len(placed)]  # sites without gain stay
        trial = fixed + placed
        value = pairs.value(trial)
        idle = 0 if value > best_value else idle + (LNS_PATIENCE if every else 1)
        if value >= best_value:
            if value > best_value:
                trial = _swap_search(pairs, trial, deadline)
                value = pairs.value(trial)
            best, best_value = trial, value
    return best


def _greedy(pairs: _Pairs, p: int, fixed: list[int] | None = None) -> tuple[list[int], list[float]]:
    """Lazy greedy (coverage is submodular, so a stale gain is an upper bound), completing
    `fixed` sites up to p."""
    w = pairs.c.w
    count = np.zeros(pairs.n, dtype=np.int32)
    for j in fixed or []:
        count[pairs.demand_of(j)] += 1

    def gain(j: int) -> float:
        ds = pairs.demand_of(j)
        return float(w[ds][count[ds] == 0].sum())

    taken = set(fixed or [])
    c = pairs.c
    initial = np.bincount(c.cj, weights=w[c.di] * (count[c.di] == 0), minlength=pairs.m)
    initial[list(taken)] = 0.0
    # Only the best candidates enter the heap; if the heap's best falls below the best left
    # out, everything is put in (lazy greedy stays exact).
    k = min(pairs.m, 20 * p + 100)
    top = np.argpartition(-initial, k - 1)[:k] if k < pairs.m else np.arange(pairs.m)
    left_out = float(np.delete(initial, top).max()) if k < pairs.m else 0.0
    heap = [(-initial[j], int(j)) for j in top if initial[j] > 0]
    heapq.heapify(heap)
    chosen, curve, value = list(fixed or []), [], 0.0
    while len(chosen) < p:
        if left_out > 0 and (not heap or -heap[0][0] < left_out):
            inside = {j for _, j in heap}
            heap += [(-g, j) for j, g in enumerate(initial.tolist()) if g > 0 and j not in inside and j not in taken and j not in chosen]
            heapq.heapify(heap)
            left_out = 0.0
        if not heap:
            break
        _, j = heapq.heappop(heap)
        g = gain(j)
        if heap and g < -heap[0][0] - 1e-9:
            heapq.heappush(heap, (-g, j))
            continue
        chosen.append(j)
        count[pairs.demand_of(j)] += 1
        value += g
        curve.append(value)
    return chosen, curve


def mclp_heuristic(inst: Instance, time_limit: float = 4.5) -> Solution:
    """Greedy, Lagrangian relaxation (bound and candidate solutions), then swap search and
    large-neighbourhood search (`_improve`) from the best solution found, until the time
    limit. The gap is measured against the Lagrangian bound, never below the LP bound."""
    start = time.perf_counter()
    c = _cover(inst)
    pairs = _Pairs(c, len(inst.candidate_ids), inst.radius_m)
    chosen, curve = _greedy(pairs, inst.p)
    greedy_value = pairs.value(chosen)
    bound, _, lag_chosen, lag_value = lagrangian(pairs, inst.p, greedy_value) if len(c.di) else (0.0, None, [], 0.0)
    if lag_value > greedy_value:
        chosen = lag_chosen
    chosen = _improve(pairs, inst.candidate_xy, list(chosen), start + time_limit, bound)
    value = c.covered_before + pairs.value(chosen)
    sol = Solution(
        "couverture", "heuristique (glouton, relaxation lagrangienne, échanges, grands voisinages)", chosen, value, c.covered_before, float(inst.weights.sum())
    )
    sol.curve = [c.covered_before + v for v in curve]
    sol.bound = c.covered_before + bound
    sol.gap = relative_gap(sol.bound, value)
    sol.seconds = time.perf_counter() - start
    return sol


EXACT_SEARCH_SECONDS = 60.0  # ceiling of the local search before the reduction (it stops on its own patience)
# With a time limit, the search ends at a third of it (counted from the call).


def _fixing(pairs: _Pairs, lam: np.ndarray, p: int) -> tuple[float, np.ndarray]:
    """The Lagrangian bound at multipliers `lam` (any values in [0, w] give one) and, for each
    candidate, a bound on every solution that opens it: the best p - 1 others beside it."""
    c, m = pairs.c, pairs.m
    p = min(p, m)
    r = np.bincount(c.cj, weights=lam[c.di], minlength=m)
    top = np.partition(r, m - p)[m - p :]
    bound = float(np.maximum(c.w - lam, 0).sum() + top.sum())
    forced = bound - top.min() + r - np.maximum(r - top.min(), 0)
    return bound, forced


def _restrict(c: _Cover, m: int, keep: np.ndarray) -> _Cover:
    """The MCLP on the kept candidates only (numbered 0..len(keep)-1); demand none of them
    covers leaves the problem."""
    sub_index = _positions(m, keep)
    mask = sub_index[c.cj] >= 0
    used = np.unique(c.di[mask])
    dmap = _positions(len(c.w), used)
    return _Cover(c.open_demand[used], c.w[used], dmap[c.di[mask]], sub_index[c.cj[mask]], c.covered_before)


def _compact(c: _Cover, m: int) -> tuple[_Cover, np.ndarray, np.ndarray]:
    """The same MCLP, smaller, with the same optimum: a candidate that covers a subset of
    what another covers is dropped (any solution opening it does as well with the other one
    instead; of candidates covering the same demand, the first is kept), and demand points
    covered by the same candidates become one, of their summed weight. Returns the compact
    problem (its candidates numbered 0..len(alive)-1), `alive` (their indices in `c`) and,
    for each candidate of `c`, the compact candidate that covers at least what it covers."""
    import scipy.sparse

    n = len(c.w)
    a = scipy.sparse.csr_matrix((np.ones(len(c.di)), (c.di, c.cj)), shape=(n, m))
    size = np.asarray(a.sum(axis=0)).ravel()
    shared = (a.T @ a).tocoo()  # demand covered by both j (row) and k (column)
    j, k = shared.row, shared.col
    inside = (j != k) & (shared.data == size[j]) & ((size[j] < size[k]) | (j > k))  # j within k
    j, k = j[inside], k[inside]
    # for each dropped j, the largest k containing it (first index on ties): nothing contains
    # that one strictly more, so it is kept
    order = np.lexsort((k, -size[k], j))
    j, k = j[order], k[order]
    first = np.r_[True, j[1:] != j[:-1]] if len(j) else np.array([], dtype=bool)
    substitute = np.arange(m)
    substitute[j[first]] = k[first]
    alive = np.setdiff1d(np.arange(m), j)
    position = _positions(m, alive)
    a = a[:, alive].tocsr()
    a.sort_indices()
    group_of: dict[bytes, int] = {}
    group = np.array([group_of.setdefault(a.indices[a.indptr[i] : a.indptr[i + 1]].tobytes(), len(group_of)) for i in range(n)], dtype=int)
    rows = np.unique(group, return_index=True)[1]
    merged = a[rows].tocoo()
    compact = _Cover(
        c.open_demand[rows], np.bincount(group, weights=c.w, minlength=len(rows)), merged.row.astype(np.int64), merged.col.astype(np.int64), c.covered_before
    )
    return compact, alive, position[substitute]


def _lp_relaxation(c: _Cover, m: int, p: int, time_limit: float | None = None) -> highspy.Highs:
    """The continuous relaxation, solved by interior point (no crossover)."""
    h = _highs()
    if time_limit:
        h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")
    h.passModel(_mclp_model(c, m, p, integer=False))
    h.run()
    return h


def _lp_multipliers(c: _Cover, m: int, p: int, time_limit: float | None = None) -> np.ndarray:
    """Duals of the coverage rows of the LP relaxation, as Lagrangian multipliers clipped to
    [0, w]: whatever their accuracy (even when the time limit stops the interior point), the
    bound they give is valid."""
    dual = np.asarray(_lp_relaxation(c, m, p, time_limit).getSolution().row_dual)[: len(c.w)]
    if len(dual) != len(c.w):  # stopped before any iterate: zero multipliers (a weak, valid bound)
        dual = np.zeros(len(c.w))
    return np.clip(np.abs(dual), 0, c.w)


def mclp_exact(inst: Instance, time_limit: float | None = None) -> Solution:
    """Optimal MCLP. Small instances go straight to HiGHS. Large ones are reduced first
    (variable fixing): the heuristic's search runs until it stalls, then any candidate whose
    bound when forced open cannot beat that incumbent is removed, twice: with the Lagrangian
    multipliers of a subgradient optimisation, then, on what is left, with the duals of its LP
    relaxation. The reduced problem is then compacted (`_compact`: dominated candidates out,
    demand with the same covering candidates merged) and HiGHS solves it exactly, started
    from the incumbent; an optimum of the reduced problem is an optimum of the whole one.

    With `time_limit` (seconds, the whole call), the search gets a third of it and HiGHS stops
    at the limit if it has not proved optimality: the result is then its best solution (never
    worse than the greedy or the heuristic it started from) with the gap proved by the lower
    of HiGHS's bound (widened to the removed candidates' bounds) and the Lagrangian one, and
    says so."""
    start = time.perf_counter()
    c = _cover(inst)
    m = len(inst.candidate_ids)
    keep = np.arange(m)
    incumbent: list[int] = []
    lag_bound, outside = np.inf, -np.inf
    notes = []
    pairs = _Pairs(c, m, inst.radius_m)
    integral = bool(np.all(c.w == np.round(c.w)))
    if len(c.di) > REDUCE_ABOVE_PAIRS:
        chosen, _ = _greedy(pairs, inst.p)
        lag_bound, lam, lag_chosen, lag_value = lagrangian(pairs, inst.p, pairs.value(chosen), iterations=600)
        if lag_value > pairs.value(chosen):
            chosen = lag_chosen
        deadline = start + time_limit / 3 if time_limit else time.perf_counter() + EXACT_SEARCH_SECONDS
        incumbent = _improve(pairs, inst.candidate_xy, list(chosen), deadline, lag_bound)
        inc_value = pairs.value(incumbent)
        # Better multipliers now that the target (the incumbent) is close to the optimum.
        again, lam, _, _ = lagrangian(pairs, inst.p, inc_value, iterations=600, lam=lam)
        lag_bound = min(lag_bound, again)
        # Upper bound of any solution opening j; a better integral solution is >= incumbent + 1.
        threshold = inc_value + (1.0 - 1e-6 if integral else 0.0)
        is_incumbent = np.isin(np.arange(m), incumbent)
        _, forced = _fixing(pairs, lam, inst.p)
        kept = (forced >= threshold) | is_incumbent
        outside = float(forced[~kept].max(initial=-np.inf))
        keep = np.flatnonzero(kept)
        first = len(keep)
        sub = _restrict(c, m, keep)
        lp_limit = max(0.01, time_limit - (time.perf_counter() - start)) / 2 if time_limit else None
        _, forced = _fixing(_Pairs(sub, len(keep)), _lp_multipliers(sub, len(keep), inst.p, lp_limit), inst.p)
        kept = (forced >= threshold) | is_incumbent[keep]
        outside = max(outside, float(forced[~kept].max(initial=-np.inf)))
        keep = keep[kept]
        notes.append(
            f"réduction (bornes lagrangienne puis de la relaxation linéaire) : {m - len(keep)} candidat(s) écarté(s) sur {m} ({m - first} puis {first - len(keep)} ; "
            f"borne {whole(lag_bound)}, solution initiale {whole(inc_value)})"
        )
    sub = _restrict(c, m, keep)
    compact, alive, substitute = _compact(sub, len(keep))
    if notes:  # after a reduction (large instances), where such details help to read the run
        notes.append(
            f"problème compacté : {len(keep) - len(alive)} candidat(s) couvrant une partie de ce qu'un autre couvre écarté(s), {len(sub.w) - len(compact.w)} point(s) de demande fusionné(s) avec un point couvert par les mêmes candidats"
        )
    lp = _mclp_model(compact, len(alive), inst.p, integer=True)
    start_x = None
    if time_limit and not incumbent:
        incumbent, _ = _greedy(pairs, inst.p)  # something to return if the limit comes first
    if incumbent:
        start_x = _start(compact, len(alive), substitute[_positions(m, keep)[incumbent]])
    limit = max(0.01, time_limit - (time.perf_counter() - start)) if time_limit else None
    x, _, mip_bound = solve_lp(lp, limit, start=start_x, integral=integral)
    chosen = keep[alive[np.flatnonzero(x[: len(alive)] > 0.5)]]
    value = c.covered_before + pairs.value(chosen)
    # HiGHS's bound on the reduced problem (none yet if stopped early), widened to the
    # removed candidates' bounds, or the Lagrangian one when it is lower
    best_bound = min(max(mip_bound, outside) if mip_bound is not None else np.inf, lag_bound)
    bound = c.covered_before + best_bound if np.isfinite(best_bound) else None
    proved = bound is not None and bound - value < (1.0 if integral else 1e-9 * abs(bound) + 1e-9)
    method = (
        "exact (HiGHS, PLNE)"
        if proved
        else "PLNE HiGHS arrêtée à la limite de temps : meilleure solution trouvée"
        + (", écart prouvé à la borne" if bound is not None else ", sans borne encore")
    )
    sol = Solution("couverture", method, [int(j) for j in chosen], value, c.covered_before, float(inst.weights.sum()), notes=notes)
    sol.bound = bound
    sol.gap = relative_gap(sol.bound, value)
    sol.seconds = time.perf_counter() - start
    return sol


def mclp_lp_bound(inst: Instance) -> float:
    """Optimum of the continuous relaxation (interior point): the LP bound."""
    c = _cover(inst)
    return c.covered_before + _lp_relaxation(c, len(inst.candidate_ids), inst.p).getInfo().objective_function_value


def mclp_curve(inst: Instance, exact: bool) -> list[float]:
    """Covered weight with 1..p new sites (exact: one solve per p)."""
    if not exact:
        return mclp_heuristic(inst).curve
    return [mclp_exact(Instance(**{**inst.__dict__, "p": k})).value for k in range(1, inst.p + 1)]


class MCLP(Model):
    """Maximal covering location: choose p candidates maximising the weight within the radius
    of an existing or new site. Same shape as spopt's models: built from an instance,
    `solve()`, then the results (`solution`, `chosen_ids`)."""

    objective = "couverture"

    def solve(self, exact: bool | None = None, time_limit: float | None = None, curve: bool = True, max_pairs: int = 3_000_000) -> MCLP:
        """Exact for a département-sized instance (up to 5,000 demand points) or when asked,
        heuristic otherwise; `time_limit` bounds the exact solve (see mclp_exact)."""
        inst = self.instance
        if exact is None:
            exact = len(inst.demand_ids) <= 5000
        sol = mclp_exact(inst, time_limit) if exact else mclp_heuristic(inst)
        if curve and exact:
            sol.curve = mclp_curve(inst, exact=inst.p <= 10)
            if inst.p > 10:
                sol.notes.append("courbe des gains marginaux : glouton (au-delà de 10 sites)")
        self.solution = sol
        return self
