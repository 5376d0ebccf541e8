"""What fixed connectivity tells a territory's diagnostic: the facts its priority rules read
(speeds and FttH of the latest vintage, France's FttH of the same vintage) and the rules
(the national targets of the Plan France Très Haut Débit, the FttH pace)."""

from __future__ import annotations

from terrinum.pillars.findings import Figure, Finding, Rule, number, state_of
from terrinum.pillars.publication import latest_measured, territory_rows

FTTH_GAP_POINTS = 5.0  # FttH share this many points below France's, same vintage


def facts(con, t, reference: str) -> dict:
    fixe = territory_rows(con, "connectivite-fixe", t.niveau, t.code)
    out = {"fixe_debits": latest_measured(fixe, "part_8mbits"), "fixe_ftth": latest_measured(fixe, "part_ftth")}
    france = territory_rows(con, "connectivite-fixe", "pays", "FR")
    out["fixe_ftth_france"] = (
        next((r for r in france if r["millesime"] == out["fixe_ftth"]["millesime"] and r["part_ftth"] is not None), None) if out["fixe_ftth"] else None
    )
    return out


def state(facts: dict) -> str:
    return state_of([r for r in (facts["fixe_debits"], facts["fixe_ftth"]) if r])


def _speed(facts: dict, key: str, echeance: str) -> list[Finding]:
    row = facts["fixe_debits"]
    if row[f"objectif_{key}_atteint"] is not False:
        return []
    part, missing = row[f"part_{key}"], row[f"locaux_manquants_{key}"]
    label = {"8mbits": "8 Mbit/s", "30mbits": "30 Mbit/s"}[key]
    return [
        Finding(
            f"debit-{key}",
            f"Objectif {label} pour tous non atteint (échéance {echeance})",
            f"{number(missing)} locaux n'ont pas {label} ; {number(part, 1)} % des locaux l'ont au {row['millesime']}.",
            f"objectif national : 100 % des locaux fin {echeance}",
            [
                Figure(f"Locaux à {label} ou plus", part, "%", row["source"], row["millesime"], row["demo"]),
                Figure(f"Locaux sans {label}", missing, "locaux", row["source"], row["millesime"], row["demo"]),
            ],
            missing,
            (100 - part) / 100,
            row["demo"],
        )
    ]


def _ftth(facts: dict) -> list[Finding]:
    own, france = facts["fixe_ftth"], facts["fixe_ftth_france"]
    if own["part_ftth"] is None or france["part_ftth"] is None or own["part_ftth"] > france["part_ftth"] - FTTH_GAP_POINTS:
        return []
    demo = own["demo"] or france["demo"]
    return [
        Finding(
            "fibre-retard",
            "Déploiement de la fibre en retard sur le rythme national",
            f"{number(own['part_ftth'], 1)} % des locaux sont raccordables à la fibre au {own['millesime']}, contre {number(france['part_ftth'], 1)} % en France ; "
            f"au rythme récent, 100 % : {own['projection_ftth_100']}.",
            f"part FttH inférieure d'au moins {number(FTTH_GAP_POINTS)} points à celle de la France, même millésime",
            [
                Figure("Locaux raccordables à la fibre", own["part_ftth"], "%", own["source"], own["millesime"], own["demo"]),
                Figure("Locaux raccordables à la fibre, France", france["part_ftth"], "%", france["source"], france["millesime"], france["demo"]),
                Figure("Projection 100 % FttH", own["projection_ftth_100"], "", own["source"], own["millesime"], own["demo"]),
            ],
            (own["locaux"] or 0) - (own["locaux_ftth_raccordables"] or 0),
            (france["part_ftth"] - own["part_ftth"]) / 100,
            demo,
        )
    ]


def rules() -> tuple[Rule, ...]:
    return (
        Rule("debit-8mbits", "8 Mbit/s pour tous (objectif fin 2020)", "100 % des locaux à 8 Mbit/s ou plus", ("fixe_debits",), lambda f: _speed(f, "8mbits", "2020")),
        Rule("debit-30mbits", "30 Mbit/s pour tous (objectif fin 2022)", "100 % des locaux à 30 Mbit/s ou plus", ("fixe_debits",), lambda f: _speed(f, "30mbits", "2022")),
        Rule("fibre-retard", "Fibre au rythme national", f"part FttH à moins de {FTTH_GAP_POINTS:g} points sous la France", ("fixe_ftth", "fixe_ftth_france"), _ftth),
    )  # fmt: skip
