"""Priorities of a territory's diagnostic: recommendations derived from its figures by
documented rules, declared by the pillars (pillars/*/findings.py). Each rule states its threshold; a finding cites the figures that
triggered it (the indicators' own values, with their source and vintage) and is ordered by
its score = people (or premises) affected × the size of the gap (a share, 0 to 1). Rules
that lack their figures say so; rules about missing or demonstration data come last (score
0). Rules and thresholds: docs/methodologie-diagnostic.md, "Priorités"."""

from __future__ import annotations

from terrinum.pillars import all_pillars
from terrinum.pillars.findings import Figure, Finding, Rule


def rules() -> list[Rule]:
    """Every pillar's priority rules, in pillar order."""
    return [rule for p in all_pillars() if p.rules is not None for rule in p.rules()]


def evaluate(facts: dict, pillars: dict[str, str]) -> dict:
    """The findings, ordered by score, and every rule checked with its outcome. `pillars`:
    pillar title -> "absent" | "demo" | "partiel" | "reel" (data rules)."""
    findings, checked = [], []
    for rule in rules():
        missing = [k for k in rule.needs if facts.get(k) is None]
        if missing:
            checked.append({"regle": rule.key, "titre": rule.titre, "seuil": rule.seuil, "resultat": "non évaluable : données absentes"})
            continue
        found = rule.check(facts)
        findings += found
        checked.append({"regle": rule.key, "titre": rule.titre, "seuil": rule.seuil, "resultat": "déclenchée" if found else "non déclenchée"})
    findings.sort(key=lambda f: -f.score)
    data = []
    for title, state in pillars.items():
        if state == "reel":
            continue
        text = {
            "absent": "aucune donnée importée",
            "partiel": "données en partie de démonstration",
        }.get(state, "données de démonstration seulement")
        data.append(
            Finding(
                "donnees",
                f"Données à compléter : {title}",
                f"{title} : {text} ; "
                + (
                    "les chiffres qui en dépendent ne décrivent pas la situation réelle."
                    if state == "partiel"
                    else "ce diagnostic ne décrit pas la situation réelle sur ce point."
                ),
                "chaque pilier repose sur des données réelles",
                [Figure(title, text)],
                0,
                0,
                state in ("demo", "partiel"),
            )
        )
    checked.append(
        {
            "regle": "donnees",
            "titre": "Données réelles pour chaque pilier",
            "seuil": "aucun pilier absent ou de démonstration",
            "resultat": "déclenchée" if data else "non déclenchée",
        }
    )
    return {"priorites": findings + data, "regles": checked}
