"""The test pillar's part of the diagnostic: its fact, its rule (a value under LOW), its state."""

from __future__ import annotations

from terrinum.pillars.findings import Figure, Finding, Rule, number, state_of
from terrinum.pillars.publication import latest_measured, territory_rows

LOW = 3.0


def facts(con, t, reference: str) -> dict:
    return {"essai": latest_measured(territory_rows(con, "essai", t.niveau, t.code), "valeur_essai")}


def state(facts: dict) -> str:
    return state_of([facts["essai"]] if facts["essai"] else [])


def _low(facts: dict) -> list[Finding]:
    row = facts["essai"]
    if row["valeur_essai"] >= LOW:
        return []
    return [
        Finding(
            "essai-faible",
            "Valeur d'essai faible",
            f"Valeur d'essai : {number(row['valeur_essai'], 1)}.",
            f"au moins {number(LOW)} unités",
            [Figure("Valeur d'essai", row["valeur_essai"], "unités", row["source"], row["millesime"], row["demo"])],
            1000,
            (LOW - row["valeur_essai"]) / LOW,
            row["demo"],
        )
    ]


def rules() -> tuple[Rule, ...]:
    return (Rule("essai-faible", "Valeur d'essai", f"au moins {LOW:g} unités", ("essai",), _low),)
