"""What the Pass numérique tells a territory's diagnostic: the fact its priority rule reads
(places accepting the Pass) and the rule (high fragility and no such place)."""

from __future__ import annotations

from terrinum.pillars.findings import Figure, Finding, Rule, number, place_name
from terrinum.pillars.publication import LEVELS

PASS_FRAGILITY_POINTS = 1.0  # index this many points above the reference, and no Pass numérique place


def facts(con, t, reference: str) -> dict:
    from terrinum.accounts.policy import commune_codes_of
    from terrinum.apps.inclusion.models import Lieu
    from terrinum.territories.helpers import TerritorySet

    if not Lieu.objects.exists() or t.niveau not in LEVELS:
        return {"lieux_pass": None}
    places = Lieu.objects.filter(pass_numerique=True)
    if t.niveau != "pays":
        places = places.filter(commune_code__in=commune_codes_of(TerritorySet.of(t.niveau, t.code)))
    return {"lieux_pass": places.count()}


def _pass(facts: dict) -> list[Finding]:
    row, ref, places = facts["fragilite"], facts["fragilite_reference"], facts["lieux_pass"]
    if row["indice_global"] is None or ref["indice_global"] is None or places > 0:
        return []
    gap = row["indice_global"] - ref["indice_global"]
    if gap < PASS_FRAGILITY_POINTS:
        return []
    return [
        Finding(
            "pass-absent",
            "Fragilité élevée et aucun lieu acceptant le Pass numérique",
            f"Indice de fragilité {number(row['indice_global'], 1)} contre {number(ref['indice_global'], 1)} pour {place_name(ref['nom'])}, et aucun lieu du territoire n'accepte le Pass numérique.",
            f"indice supérieur d'au moins {number(PASS_FRAGILITY_POINTS)} point à la référence, et 0 lieu « Pass numérique accepté »",
            [
                Figure("Indice de fragilité numérique", row["indice_global"], "sur 10", row["source"], "", row["demo"]),
                Figure("Lieux acceptant le Pass numérique", places, "lieux", "registre des lieux de Terrinum", "", False),
            ],
            row["personnes_a_risque_haut"] or 0,
            gap / 9,
            row["demo"],
        )
    ]


def rules() -> tuple[Rule, ...]:
    return (
        Rule("pass-absent", "Pass numérique là où la fragilité est forte", "un lieu au moins accepte le Pass numérique, ou fragilité proche de la référence", ("fragilite", "fragilite_reference", "lieux_pass"), _pass),
    )  # fmt: skip
