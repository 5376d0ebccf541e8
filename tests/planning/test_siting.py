"""Siting against pysal spopt on the same instances with the same solver (HiGHS)."""

import re
import time

import numpy as np
import pulp
import pytest
from spopt.locate import MCLP, PMedian

from terrinum.planning import base, mclp, pmedian, siting


def instance(objective="couverture", p=5, n=120, m=40, existing=0, seed=3, radius=8000.0):
    rng = np.random.default_rng(seed)
    return siting.Instance(
        crs="EPSG:2154", objective=objective, p=p, radius_m=radius,
        demand_ids=[f"d{i}" for i in range(n)], demand_xy=rng.uniform(0, 60_000, (n, 2)), weights=rng.integers(1, 2000, n).astype(float),
        candidate_ids=[f"c{j}" for j in range(m)], candidate_xy=rng.uniform(0, 60_000, (m, 2)),
        existing_ids=[f"e{k}" for k in range(existing)], existing_xy=rng.uniform(0, 60_000, (existing, 2)),
    )  # fmt: skip


def cost(inst):
    return np.sqrt(((inst.demand_xy[:, None, :] - inst.candidate_xy[None, :, :]) ** 2).sum(-1))


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_mclp_same_optimum_as_spopt_and_coverage_counted_from_sites(seed):
    inst = instance(seed=seed)
    ours = mclp.mclp_exact(inst)
    model = MCLP.from_cost_matrix(cost(inst), inst.weights, inst.radius_m, inst.p).solve(pulp.HiGHS(msg=False))
    assert ours.value == pytest.approx(pulp.value(model.problem.objective), abs=1e-6)
    # Covered weight recomputed from the chosen sites alone, no solver values thresholded.
    d = cost(inst)[:, ours.chosen]
    assert ours.value == pytest.approx(inst.weights[(d <= inst.radius_m).any(axis=1)].sum())
    assert len(ours.chosen) == inst.p and ours.gap == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("p", [1, 4])
def test_pmedian_same_optimum_as_spopt(p):
    inst = instance("distance", p=p, n=80, m=30)
    ours = pmedian.pmedian_exact(inst)
    model = PMedian.from_cost_matrix(cost(inst), inst.weights, inst.p).solve(pulp.HiGHS(msg=False))
    assert ours.value == pytest.approx(pulp.value(model.problem.objective), rel=1e-9)
    assert ours.value == pytest.approx(pmedian.total_distance(inst, ours.chosen))


def test_existing_sites_count_as_open():
    inst = instance(existing=3)
    sol = mclp.mclp_exact(inst)
    d_exist = np.sqrt(((inst.demand_xy[:, None, :] - inst.existing_xy[None, :, :]) ** 2).sum(-1))
    assert sol.before == pytest.approx(inst.weights[(d_exist <= inst.radius_m).any(axis=1)].sum())
    # spopt with the existing sites as predefined facilities gives the same optimum.
    both = np.vstack([inst.existing_xy, inst.candidate_xy])
    matrix = np.sqrt(((inst.demand_xy[:, None, :] - both[None, :, :]) ** 2).sum(-1))
    model = MCLP.from_cost_matrix(
        matrix, inst.weights, inst.radius_m, inst.p + 3, predefined_facilities_arr=np.array([True] * 3 + [False] * len(inst.candidate_ids))
    ).solve(pulp.HiGHS(msg=False))
    assert sol.value == pytest.approx(pulp.value(model.problem.objective))
    pm = pmedian.pmedian_exact(instance("distance", p=2, existing=3, n=60, m=20))
    assert pm.value < pm.before


def test_heuristic_within_its_reported_gap_and_curve_is_increasing():
    inst = instance(p=6, n=400, m=150, radius=6000.0, seed=11)
    exact = mclp.mclp_exact(inst)
    heur = mclp.mclp_heuristic(inst, time_limit=2.0)
    assert heur.value <= exact.value + 1e-6
    assert heur.bound >= exact.value - 1e-6
    assert heur.gap == pytest.approx((heur.bound - heur.value) / heur.bound)
    assert all(a <= b for a, b in zip(heur.curve, heur.curve[1:])) and len(heur.curve) == inst.p
    curve = mclp.mclp_curve(inst, exact=True)
    assert curve[-1] == pytest.approx(exact.value) and all(a <= b for a, b in zip(curve, curve[1:]))


def test_instance_json_round_trip():
    inst = instance(existing=2)
    again = siting.Instance.from_json(inst.to_json())
    assert again.candidate_ids == inst.candidate_ids and again.p == inst.p
    assert mclp.mclp_exact(again).value == pytest.approx(mclp.mclp_exact(inst).value)


def test_reduction_keeps_the_optimum(monkeypatch):
    """An instance forced through the reduction: same optimum as the plain MIP, proved."""
    monkeypatch.setattr(mclp, "REDUCE_ABOVE_PAIRS", 0)
    inst = instance(p=8, n=3000, m=600, radius=5000.0, seed=7)
    reduced = mclp.mclp_exact(inst)
    note = next(n for n in reduced.notes if n.startswith("réduction"))
    assert int(note.split(" : ")[1].split()[0]) > 0  # some candidates were removed
    assert re.search(r"; borne \d[\d ]*, solution initiale \d[\d ]*\)$", note), note  # the message keeps its comma
    c = mclp._cover(inst)
    x, obj, _ = base.solve_lp(mclp._mclp_model(c, len(inst.candidate_ids), inst.p, integer=True), integral=True)
    assert reduced.value == pytest.approx(c.covered_before + obj)
    assert reduced.method.startswith("exact") and reduced.bound - reduced.value < 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compact_problem_has_the_same_optimum(seed):
    """Dropping candidates covered by another and merging demand covered by the same
    candidates keeps the optimum; each candidate's substitute covers at least what it covers."""
    rng = np.random.default_rng(seed)
    inst = instance(p=4, n=400, m=80, radius=9000.0, seed=seed)
    inst.candidate_xy[40:] = inst.candidate_xy[:40] + rng.normal(0, 300, (40, 2))  # near twins
    inst.demand_xy[200:] = inst.demand_xy[:200] + rng.normal(0, 50, (200, 2))
    c = mclp._cover(inst)
    m = len(inst.candidate_ids)
    compact, alive, substitute = mclp._compact(c, m)
    assert len(alive) < m and len(compact.w) < len(c.w)
    assert compact.w.sum() == pytest.approx(c.w.sum())
    pairs, small = mclp._Pairs(c, m), mclp._Pairs(compact, len(alive))
    for j in range(m):
        assert set(pairs.demand_of(j)) <= set(pairs.demand_of(alive[substitute[j]]))
    _, full, _ = base.solve_lp(mclp._mclp_model(c, m, inst.p, integer=True), integral=True)
    x, reduced, _ = base.solve_lp(mclp._mclp_model(compact, len(alive), inst.p, integer=True), integral=True)
    assert reduced == pytest.approx(full)
    assert pairs.value(alive[np.flatnonzero(x[: len(alive)] > 0.5)]) == pytest.approx(full)
    assert small.value(np.flatnonzero(x[: len(alive)] > 0.5)) == pytest.approx(full)


@pytest.mark.parametrize("multipliers", ["subgradient", "lp", "lp stopped at once", "random"])
def test_forced_open_bounds_hold(multipliers):
    """The bound `_fixing` gives for opening a candidate is never below the best solution that
    opens it (brute force: the MIP with that candidate fixed open), whatever the multipliers."""
    inst = instance(p=3, n=150, m=25, radius=9000.0, seed=11)
    c = mclp._cover(inst)
    m = len(inst.candidate_ids)
    pairs = mclp._Pairs(c, m)
    if multipliers == "subgradient":
        lam = mclp.lagrangian(pairs, inst.p, 0.0)[1]
    elif multipliers.startswith("lp"):
        lam = mclp._lp_multipliers(c, m, inst.p, time_limit=1e-9 if "stopped" in multipliers else None)
        assert lam.shape == c.w.shape and (0 <= lam).all() and (lam <= c.w).all()
    else:
        lam = np.random.default_rng(0).uniform(0, c.w)
    bound, forced = mclp._fixing(pairs, lam, inst.p)
    for j in range(m):
        lp = mclp._mclp_model(c, m, inst.p, integer=True)
        lower = np.array(lp.col_lower_)
        lower[j] = 1.0
        lp.col_lower_ = lower  # (highspy hands out copies: assign the whole array)
        _, best_with_j, _ = base.solve_lp(lp, integral=True)
        assert forced[j] >= best_with_j - 1e-6
        assert bound >= forced[j] - 1e-6


def greedy_then_swaps(inst):
    """Pairs of the instance, its greedy solution and the swap search's local optimum."""
    pairs = mclp._Pairs(mclp._cover(inst), len(inst.candidate_ids), inst.radius_m)
    start, _ = mclp._greedy(pairs, inst.p)
    return pairs, start, mclp._swap_search(pairs, list(start), deadline=float("inf"))


def test_swap_search_reaches_a_one_swap_local_optimum():
    inst = instance(p=5, n=300, m=60, radius=7000.0, seed=21)
    pairs, start, local = greedy_then_swaps(inst)
    value = pairs.value(local)
    assert value >= pairs.value(start) and len(set(local)) == inst.p
    for k in range(inst.p):  # brute force: no single swap improves
        for j in set(range(len(inst.candidate_ids))) - set(local):
            assert pairs.value(local[:k] + [j] + local[k + 1 :]) <= value + 1e-9


def test_large_neighbourhood_search_keeps_p_sites_and_never_loses():
    inst = instance(p=14, n=2000, m=400, radius=5000.0, seed=8)
    pairs, start, local = greedy_then_swaps(inst)
    improved = mclp._improve(pairs, inst.candidate_xy, list(start), time.perf_counter() + 1.5)
    assert len(set(improved)) == inst.p and pairs.value(improved) >= pairs.value(local)
    assert pairs.value(improved) <= mclp.mclp_exact(inst).value - pairs.c.covered_before + 1e-6


def test_heuristic_on_a_small_instance_is_exact():
    """Few sites and candidates: one large-neighbourhood move frees every site among every
    candidate, so it solves the whole problem (and the search stops there)."""
    inst = instance(p=5, n=200, m=40, seed=5)
    assert mclp.mclp_heuristic(inst, time_limit=60).value == pytest.approx(mclp.mclp_exact(inst).value)


def test_exact_stopped_by_its_time_limit_says_so():
    inst = instance(p=8, n=3000, m=600, radius=5000.0, seed=7)
    optimum = mclp.mclp_exact(inst)
    assert optimum.method.startswith("exact") and optimum.gap == pytest.approx(0, abs=1e-9)
    stopped = mclp.mclp_exact(inst, time_limit=0.01)  # HiGHS cannot prove anything in 10 ms
    assert stopped.method.startswith("PLNE HiGHS arrêtée à la limite de temps")
    pairs, start, _ = greedy_then_swaps(inst)
    assert pairs.c.covered_before + pairs.value(start) <= stopped.value <= optimum.value
    assert stopped.bound is None or stopped.bound >= optimum.value - 1e-6


def test_one_class_per_model_with_the_same_shape():
    cover = instance("couverture", p=2, existing=1, n=40, m=12)
    model = mclp.MCLP.from_instance(cover).solve()
    assert model.solution.value == pytest.approx(mclp.mclp_exact(cover).value)
    assert model.chosen_ids == [cover.candidate_ids[j] for j in model.solution.chosen]
    distance = instance("distance", p=2, existing=1, n=40, m=12)
    assert siting.model_for(distance).solve().solution.value == pytest.approx(pmedian.pmedian_exact(distance).value)
    with pytest.raises(ValueError, match="ce modèle résout"):
        pmedian.PMedian(cover)
