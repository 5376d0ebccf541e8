"""What mobile connectivity tells a territory's diagnostic: the facts its priority rules read
(the latest vintage's coverage and New Deal sites) and the rules (white zones, late sites)."""

from __future__ import annotations

from terrinum.pillars.findings import Figure, Finding, Rule, number, state_of
from terrinum.pillars.publication import territory_rows

WHITE_ZONE_SHARE = 1.0  # % of the population without 4G from any operator


def facts(con, t, reference: str) -> dict:
    mobile = territory_rows(con, "connectivite-mobile", t.niveau, t.code)
    return {"mobile": max(mobile, key=lambda r: r["millesime"]) if mobile else None}


def state(facts: dict) -> str:
    return state_of([facts["mobile"]] if facts["mobile"] else [])


def _white_zone(facts: dict) -> list[Finding]:
    row, population = facts["mobile"], facts["population"]
    people = row["pop_zone_blanche_4g"] if row["pop_zone_blanche_4g"] is not None else row["pop_zone_blanche_4g_max"]
    if people is None or not population:
        return []
    share = 100 * people / population
    if share < WHITE_ZONE_SHARE:
        return []
    exact = row["pop_zone_blanche_4g"] is not None
    return [
        Finding(
            "zone-blanche-4g",
            "Population sans 4G d'aucun opérateur",
            f"{number(people)} habitants ({number(share, 1)} %) {'' if exact else 'au plus '}n'ont la 4G d'aucun opérateur ({row['millesime']}).",
            f"au moins {number(WHITE_ZONE_SHARE)} % de la population sans 4G",
            [Figure("Habitants sans 4G d'aucun opérateur" + ("" if exact else " (borne haute)"), people, "hab.", row["source"], row["millesime"], row["demo"])],
            people,
            share / 100,
            row["demo"],
        )
    ]


def _new_deal(facts: dict) -> list[Finding]:
    row, population = facts["mobile"], facts["population"] or 0
    late, decided = row["nd_sites_en_retard"], row["nd_sites_decides"]
    if not late or not decided:
        return []
    good = row["part_pop_4g_bonne_au_moins_un"] if row["part_pop_4g_bonne_au_moins_un"] is not None else row["part_pop_4g_bonne_au_moins_un_min"]
    without = population * (100 - good) / 100 if good is not None else population
    return [
        Finding(
            "new-deal-retard",
            "Sites du New Deal Mobile en retard",
            f"{number(late)} des {number(decided)} sites décidés par arrêté ne sont pas en service 24 mois après l'arrêté.",
            "un site au moins en retard sur l'échéance de 24 mois",
            [
                Figure("Sites New Deal en retard", late, "sites", row["source"], row["millesime"], row["demo"]),
                Figure("Sites New Deal décidés", decided, "sites", row["source"], row["millesime"], row["demo"]),
            ],
            without,
            late / decided,
            row["demo"],
        )
    ]


def rules() -> tuple[Rule, ...]:
    return (
        Rule("zone-blanche-4g", "Population sans 4G", f"moins de {WHITE_ZONE_SHARE:g} % de la population sans 4G", ("mobile",), _white_zone),
        Rule("new-deal-retard", "Sites New Deal en service à temps", "aucun site en retard", ("mobile",), _new_deal),
    )  # fmt: skip
