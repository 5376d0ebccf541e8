"""What the places registry tells a territory's diagnostic: the facts its priority rule reads
(accessibility of the places) and the rule (people far from any place)."""

from __future__ import annotations

from terrinum.pillars.findings import Figure, Finding, Rule, number
from terrinum.pillars.publication import LEVELS

FAR_SHARE_20KM = 5.0  # % of the population beyond 20 km of any place


def facts(con, t, reference: str) -> dict:
    from terrinum.apps.inclusion.models import Lieu
    from terrinum.pillars.lieux import indicators as accessibility

    if not Lieu.objects.exists() or t.niveau not in LEVELS:
        return {"lieux": None}
    access = accessibility.indicator_rows(t.niveau, [t.code])
    return {"lieux": access[0].as_dict() if access else None}


def state(facts: dict) -> str:
    return "reel" if facts["lieux"] else "absent"


def _far(facts: dict) -> list[Finding]:
    row, frag = facts["lieux"], facts.get("fragilite")
    if not row["population"]:
        return []
    share = 100 * row["pop_au_dela_20km"] / row["population"]
    if share < FAR_SHARE_20KM:
        return []
    at_risk = row["pop_au_dela_20km"]
    if frag and frag.get("personnes_a_risque_haut") and frag.get("population"):
        at_risk = row["pop_au_dela_20km"] * frag["personnes_a_risque_haut"] / frag["population"]
    return [
        Finding(
            "eloignement-20km",
            "Des habitants à plus de 20 km de tout lieu d'accompagnement",
            f"{number(row['pop_au_dela_20km'])} habitants ({number(share, 1)} %) vivent à plus de 20 km du lieu d'accompagnement le plus proche"
            + (f", dont environ {number(at_risk)} personnes à risque d'illectronisme (estimation haute)." if at_risk != row["pop_au_dela_20km"] else "."),
            f"au moins {number(FAR_SHARE_20KM)} % de la population à plus de 20 km",
            [Figure("Habitants à plus de 20 km d'un lieu", row["pop_au_dela_20km"], "hab.", "registre des lieux de Terrinum", "", False)],
            at_risk,
            share / 100,
            False,
        )
    ]


def rules() -> tuple[Rule, ...]:
    return (
        Rule("eloignement-20km", "Distance aux lieux d'accompagnement", f"moins de {FAR_SHARE_20KM:g} % de la population à plus de 20 km", ("lieux",), _far),
    )  # fmt: skip
