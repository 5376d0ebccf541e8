"""Priorities of a territory's diagnostic: recommendations derived from its figures by
documented rules. Each rule states its threshold; a finding cites the figures that
triggered it (the indicators' own values, with their source and vintage) and is ordered by
its score = people (or premises) affected × the size of the gap (a share, 0 to 1). Rules
that lack their figures say so; rules about missing or demonstration data come last (score
0). Rules and thresholds: docs/methodologie-diagnostic.md, "Priorités"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from terrinum.pillars.fragilite import indicators as fr

FTTH_GAP_POINTS = 5.0  # FttH share this many points below France's, same vintage
WHITE_ZONE_SHARE = 1.0  # % of the population without 4G from any operator
FRAGILITY_GAP_POINTS = 1.0  # a criterion's note this many points above the reference's
FAR_SHARE_20KM = 5.0  # % of the population beyond 20 km of any place
PASS_FRAGILITY_POINTS = 1.0  # index this many points above the reference, and no Pass numérique place


@dataclass
class Figure:
    libelle: str
    valeur: float | int | str | None
    unite: str = ""
    source: str = ""
    millesime: str = ""
    demo: bool = False


@dataclass
class Finding:
    regle: str
    titre: str
    constat: str
    seuil: str
    chiffres: list[Figure]
    concernes: float
    ecart: float  # 0..1
    demo: bool = False
    score: float = field(init=False)

    def __post_init__(self):
        self.score = round(max(self.concernes, 0) * max(self.ecart, 0), 1)


@dataclass(frozen=True)
class Rule:
    key: str
    titre: str
    seuil: str
    needs: tuple[str, ...]  # the facts it reads; missing ones make it "non évaluable"
    check: Callable[[dict], list[Finding]]


def _n(value, decimals: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return text


def _name(nom: str) -> str:
    return "la France" if nom == "France" else nom


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
            f"{_n(missing)} locaux n'ont pas {label} ; {_n(part, 1)} % des locaux l'ont au {row['millesime']}.",
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
            f"{_n(own['part_ftth'], 1)} % des locaux sont raccordables à la fibre au {own['millesime']}, contre {_n(france['part_ftth'], 1)} % en France ; "
            f"au rythme récent, 100 % : {own['projection_ftth_100']}.",
            f"part FttH inférieure d'au moins {_n(FTTH_GAP_POINTS)} points à celle de la France, même millésime",
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
            f"{_n(people)} habitants ({_n(share, 1)} %) {'' if exact else 'au plus '}n'ont la 4G d'aucun opérateur ({row['millesime']}).",
            f"au moins {_n(WHITE_ZONE_SHARE)} % de la population sans 4G",
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
            f"{_n(late)} des {_n(decided)} sites décidés par arrêté ne sont pas en service 24 mois après l'arrêté.",
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
                f"Note {_n(own, 1)} sur 10 contre {_n(other, 1)} pour {_name(ref['nom'])}.",
                f"note du critère supérieure d'au moins {_n(FRAGILITY_GAP_POINTS)} point à celle de la référence",
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
            f"{_n(row['pop_au_dela_20km'])} habitants ({_n(share, 1)} %) vivent à plus de 20 km du lieu d'accompagnement le plus proche"
            + (f", dont environ {_n(at_risk)} personnes à risque d'illectronisme (estimation haute)." if at_risk != row["pop_au_dela_20km"] else "."),
            f"au moins {_n(FAR_SHARE_20KM)} % de la population à plus de 20 km",
            [Figure("Habitants à plus de 20 km d'un lieu", row["pop_au_dela_20km"], "hab.", "registre des lieux de Terrinum", "", False)],
            at_risk,
            share / 100,
            False,
        )
    ]


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
            f"Indice de fragilité {_n(row['indice_global'], 1)} contre {_n(ref['indice_global'], 1)} pour {_name(ref['nom'])}, et aucun lieu du territoire n'accepte le Pass numérique.",
            f"indice supérieur d'au moins {_n(PASS_FRAGILITY_POINTS)} point à la référence, et 0 lieu « Pass numérique accepté »",
            [
                Figure("Indice de fragilité numérique", row["indice_global"], "sur 10", row["source"], "", row["demo"]),
                Figure("Lieux acceptant le Pass numérique", places, "lieux", "registre des lieux de Terrinum", "", False),
            ],
            row["personnes_a_risque_haut"] or 0,
            gap / 9,
            row["demo"],
        )
    ]


RULES: list[Rule] = [
    Rule("debit-8mbits", "8 Mbit/s pour tous (objectif fin 2020)", "100 % des locaux à 8 Mbit/s ou plus", ("fixe_debits",), lambda f: _speed(f, "8mbits", "2020")),
    Rule("debit-30mbits", "30 Mbit/s pour tous (objectif fin 2022)", "100 % des locaux à 30 Mbit/s ou plus", ("fixe_debits",), lambda f: _speed(f, "30mbits", "2022")),
    Rule("fibre-retard", "Fibre au rythme national", f"part FttH à moins de {FTTH_GAP_POINTS:g} points sous la France", ("fixe_ftth", "fixe_ftth_france"), _ftth),
    Rule("zone-blanche-4g", "Population sans 4G", f"moins de {WHITE_ZONE_SHARE:g} % de la population sans 4G", ("mobile",), _white_zone),
    Rule("new-deal-retard", "Sites New Deal en service à temps", "aucun site en retard", ("mobile",), _new_deal),
    Rule("fragilite-axes", "Fragilité par critère", f"aucune note à plus de {FRAGILITY_GAP_POINTS:g} point au-dessus de la référence", ("fragilite", "fragilite_reference"), _fragility_axes),
    Rule("eloignement-20km", "Distance aux lieux d'accompagnement", f"moins de {FAR_SHARE_20KM:g} % de la population à plus de 20 km", ("lieux",), _far),
    Rule("pass-absent", "Pass numérique là où la fragilité est forte", "un lieu au moins accepte le Pass numérique, ou fragilité proche de la référence", ("fragilite", "fragilite_reference", "lieux_pass"), _pass),
]  # fmt: skip


def evaluate(facts: dict, pillars: dict[str, str]) -> dict:
    """The findings, ordered by score, and every rule checked with its outcome. `pillars`:
    pillar title -> "absent" | "demo" | "partiel" | "reel" (data rules)."""
    findings, checked = [], []
    for rule in RULES:
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
