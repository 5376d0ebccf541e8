"""Siting of new accompaniment places ("mailler le territoire"): the model of an instance's
objective, solved. Two objectives on one instance (planning.base): `couverture`, the maximal
covering location problem (planning.mclp); `distance`, the p-median (planning.pmedian).
Method: methodologie/methodologie-implantation.md."""

from __future__ import annotations

from terrinum.planning.base import Instance, Model, Solution
from terrinum.planning.mclp import MCLP
from terrinum.planning.pmedian import PMedian

__all__ = ["MODELS", "Instance", "Solution", "model_for", "solve"]

MODELS = {model.objective: model for model in (MCLP, PMedian)}


def model_for(inst: Instance) -> Model:
    """The model of an instance's objective."""
    if inst.objective not in MODELS:
        raise ValueError(f"objectif « {inst.objective} » inconnu ({', '.join(MODELS)})")
    return MODELS[inst.objective].from_instance(inst)


def solve(inst: Instance, exact: bool | None = None, curve: bool = True, max_pairs: int = 3_000_000, time_limit: float | None = None) -> Solution:
    """Solve an instance with the model of its objective; returns its solution."""
    return model_for(inst).solve(exact=exact, time_limit=time_limit, curve=curve, max_pairs=max_pairs).solution
