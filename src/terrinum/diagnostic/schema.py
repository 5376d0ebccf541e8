"""The territory's digital master plan (schéma directeur territorial d'aménagement numérique,
article L1425-2 of the CGCT), drafted from open data and the other parts of Terrinum: the
diagnosis (the report's figures and priorities), the zones of intervention of the fibre
rollout and their phasing, mobile coverage and the New Deal's orders, digital inclusion, and
the investment strategy — whose unit costs the territory enters (no default: none is
invented). A first draft for a département; docs/schema-directeur.md."""

from __future__ import annotations

import datetime as dt

from terrinum.diagnostic import document
from terrinum.pillars.connectivite_fixe import indicators as fixed
from terrinum.pillars.connectivite_fixe import zones
from terrinum.warehouse import store

LEVELS = ("departement", "region")
ZONE_LABELS = {
    "ZTD": "Zones très denses (déploiement des opérateurs privés)",
    "AMII": "Zone des engagements privés (article L.33-13, dite « AMII »)",
    "RIP": "Réseaux d'initiative publique (RIP)",
}


def compose(t, unit_costs: dict[str, float] | None = None) -> dict:
    """The master plan of a département or a région, as data (the page and the JSON)."""
    if t.niveau not in LEVELS:
        raise ValueError("un schéma directeur se dresse pour un département ou une région")
    unit_costs = {z: c for z, c in (unit_costs or {}).items() if z in zones.ZONES and c is not None and c >= 0}
    report = document.compose(t)
    try:
        with store.reader() as con:
            inventory = zones.inventory(con, t.niveau, t.code)
    except store.Unavailable:
        inventory = zones.inventory(None, t.niveau, t.code)
    latest = inventory.trimestres[-1] if inventory.trimestres else None
    phasing, investment = [], []
    for z in inventory.zones:
        series = [(q, z.raccordables[q]) for q in inventory.trimestres]
        quarter, spread, status = fixed.projection(series, z.locaux, 1.0) if series else (None, None, "pas de projection : aucun trimestre de déploiement")
        left = max(0, z.locaux - (z.raccordables.get(latest, 0) if latest else 0))
        phasing.append({"zone": z.zone, "libelle": ZONE_LABELS[z.zone], "restants": left, "projection_100": quarter, "fourchette": spread, "statut": status})
        cost = unit_costs.get(z.zone)
        investment.append({"zone": z.zone, "restants": left, "cout_unitaire": cost, "cout_total": round(left * cost) if cost is not None else None})
    facts = report["chiffres"]
    return {
        "territoire": report["territoire"],
        "date": report["date"],
        "date_edition": dt.date.fromisoformat(report["date"]),
        "diagnostic": {
            "chiffres": report["pairs"]["chiffres"] if report["pairs"] else [],
            "priorites": [p["titre"] for p in report["priorites"]],
            "piliers": report["piliers"],
        },
        "zones": {
            "millesime_informations": inventory.millesime_informations,
            "trimestre": latest,
            "source": inventory.source,
            "lignes": [
                {
                    "zone": z.zone,
                    "libelle": ZONE_LABELS[z.zone],
                    "communes": z.communes,
                    "locaux": z.locaux,
                    "raccordables": z.raccordables.get(latest, 0) if latest else 0,
                    "part": z.part(latest) if latest else None,
                    "operateurs": z.operateurs,
                    "demo": z.demo,
                }
                for z in inventory.zones
            ],  # fmt: skip
            "par_epci": inventory.par_epci,
        },
        "phasage": phasing,
        "mobile": {"couverture": facts.get("mobile"), "new_deal": _new_deal(t)},
        "inclusion": {"fragilite": facts.get("fragilite"), "lieux": facts.get("lieux"), "lieux_pass": facts.get("lieux_pass")},
        "investissement": {"lignes": investment, "total": sum(i["cout_total"] for i in investment if i["cout_total"] is not None) if unit_costs else None},
        "sources": list({(x["source"], x["millesime"], x["fichier"]): x for x in report["sources"]}.values()),
        "demo": report["demo"] or any(z.demo for z in inventory.zones),
    }


def _new_deal(t) -> dict | None:
    """The New Deal's orders in the département: zones by step, late ones (apps.signalements)."""
    if t.niveau != "departement":
        return None
    from terrinum.apps.signalements import suivi
    from terrinum.apps.signalements.models import Zone

    follow = suivi.follow_up(t.code)
    return {
        "par_etape": {label: follow.par_etape.get(code, 0) for code, label in Zone.ETAPES},
        "en_retard": len(follow.en_retard),
        "delai_median_jours": follow.delai_median_jours,
    }
