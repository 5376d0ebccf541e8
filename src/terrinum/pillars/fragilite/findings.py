"""What digital fragility tells a territory's diagnostic: the facts its priority rules read
(the territory's and its reference's index and notes) and the rule (criteria above the
reference)."""

from __future__ import annotations

from terrinum.pillars.findings import Figure, Finding, Rule, number, place_name, state_of
from terrinum.pillars.fragilite import indicators as fr
from terrinum.pillars.publication import territory_rows

FRAGILITY_GAP_POINTS = 1.0  # a criterion's note this many points above the reference's


def facts(con, t, reference: str) -> dict:
    ref_niveau, ref_code = fr.parse_reference(reference)
    try:
        rows = territory_rows(con, "fragilite", t.niveau, t.code, reference=None if reference == "pays" else reference)
    except ValueError:  # no data for the reference
        rows = []
    ref_rows = territory_rows(con, "fragilite", ref_niveau, ref_code)
    return {"fragilite": rows[0] if rows else None, "fragilite_reference": ref_rows[0] if ref_rows else None}


def state(facts: dict) -> str:
    """Demonstration only when every criterion the index uses is a demonstration one."""
    fragility = facts["fragilite"]
    if fragility and fragility.get("demo"):
        used = [c for c in (fragility.get("indicateurs_utilises") or "").split(", ") if c]
        in_demo = [c for c in (fragility.get("criteres_demonstration") or "").split(", ") if c]
        return "demo" if not used or set(used) <= set(in_demo) else "partiel"
    return state_of([fragility] if fragility else [])


def _fragility_axes(facts: dict) -> list[Finding]:
    row, ref = facts["fragilite"], facts["fragilite_reference"]
    out = []
    for criterion, label in fr.CRITERIA.items():
        own, other = row.get(f"score_{criterion}"), ref.get(f"score_{criterion}")
        if own is None or other is None or own - other < FRAGILITY_GAP_POINTS:
            continue
        out.append(
            Finding(
                f"fragilite-{criterion}",
                f"Fragilité numérique au-dessus de la référence : {label[0].lower() + label[1:]}",
                f"Note {number(own, 1)} sur 10 contre {number(other, 1)} pour {place_name(ref['nom'])}.",
                f"note du critère supérieure d'au moins {number(FRAGILITY_GAP_POINTS)} point à celle de la référence",
                [
                    Figure(f"Note « {label} »", own, "sur 10", row["source"], "", row["demo"]),
                    Figure(f"Note de la référence ({ref['nom']})", other, "sur 10", ref["source"], "", ref["demo"]),
                ],
                row["personnes_a_risque_haut"] or 0,
                (own - other) / 9,
                row["demo"] or ref["demo"],
            )
        )
    return out


def rules() -> tuple[Rule, ...]:
    return (
        Rule("fragilite-axes", "Fragilité par critère", f"aucune note à plus de {FRAGILITY_GAP_POINTS:g} point au-dessus de la référence", ("fragilite", "fragilite_reference"), _fragility_axes),
    )  # fmt: skip
