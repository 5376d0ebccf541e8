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


FUNDERS = ("Etat", "Region", "Departement", "EPCI", "Operateurs")
FUNDER_LABELS = {"Etat": "État", "Region": "Région", "Departement": "Département", "EPCI": "Intercommunalités", "Operateurs": "Opérateurs"}


def financing(total: float | None, shares: dict[str, float] | None, targets: list[int] | None, wireless: dict | None, left_rip: int, today: dt.date) -> dict:
    """The financing plan: the investment split between funders by the shares the reader gives
    (none by default), spread evenly over the years up to each target year (the scenarios
    compared), and the variant where a share of the public-initiative zone's last premises is
    served by a wireless solution at its own unit cost (the reader's too)."""
    shares = {f: v for f, v in (shares or {}).items() if f in FUNDERS and v is not None and v >= 0}
    out = {
        "parts": shares,
        "somme_parts": sum(shares.values()),
        "financeurs": [{"code": f, "nom": FUNDER_LABELS[f]} for f in shares],
        "scenarios": [],
        "hertzien": None,
    }
    if total is None:
        return out
    variants = [("fibre", total)]
    if wireless and wireless.get("part") is not None and wireless.get("cout") is not None and wireless.get("cout_rip") is not None:
        moved = round(left_rip * wireless["part"] / 100)
        alternative = total - moved * wireless["cout_rip"] + moved * wireless["cout"]
        out["hertzien"] = {"locaux": moved, "total": round(alternative), "economie": round(total - alternative)}
        variants.append(("hertzien", alternative))
    for target in sorted({y for y in (targets or []) if today.year < y <= today.year + 30}):
        years = list(range(today.year + 1, target + 1))
        for name, amount in variants:
            per_year = amount / len(years)
            out["scenarios"].append(
                {
                    "cible": target,
                    "variante": name,
                    "total": round(amount),
                    "annees": [{"annee": y, "montant": round(per_year), "par_financeur": [round(per_year * v / 100) for v in shares.values()]} for y in years],
                }
            )
    return out


def compose(t, unit_costs: dict[str, float] | None = None, shares: dict[str, float] | None = None, targets: list[int] | None = None,
            wireless: dict | None = None) -> dict:  # fmt: skip
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
    total = sum(i["cout_total"] for i in investment if i["cout_total"] is not None) if unit_costs else None
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
        "investissement": {"lignes": investment, "total": total},
        "financement": financing(
            total,
            shares,
            targets,
            {**(wireless or {}), "cout_rip": unit_costs.get("RIP")},
            next((i["restants"] for i in investment if i["zone"] == "RIP"), 0),
            dt.date.fromisoformat(report["date"]),
        ),
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


def _number(value) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if value is not None else "—"


def as_pdf(t, data: dict) -> bytes:
    """The draft as a tagged PDF (the page's text, without its links and form)."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    return HTML(string=render_to_string("diagnostic/schema_directeur_pdf.html", {"t": t, "s": data, "pdf": True})).write_pdf(pdf_variant="pdf/ua-1")


def as_odt(t, data: dict) -> bytes:
    """The draft as an OpenDocument text, to edit with the territory's actors."""
    from terrinum import odt

    blocks = [
        ("titre", 1, f"Schéma directeur territorial d'aménagement numérique — projet {t.de_nom}"),
        ("paragraphe", f"Premier projet (article L1425-2 du code général des collectivités territoriales) établi par Terrinum le {data['date_edition']:%d/%m/%Y}"
         " à partir des données ouvertes : à compléter, discuter et valider avec les acteurs du territoire."
         + (" Contient des données de démonstration." if data["demo"] else "")),
        ("titre", 2, "1. Diagnostic"),
        ("tableau", "Diagnostic", ["Indicateur", "Valeur", "Rang"],
         [[c["libelle"], f"{c['valeur']:.1f} {c['unite']}".strip(), f"{c['rang']} sur {c['sur']}"] for c in data["diagnostic"]["chiffres"]]),
        *[("paragraphe", f"Priorité : {p}") for p in data["diagnostic"]["priorites"]],
        ("titre", 2, "2. Zones d'intervention du déploiement de la fibre"),
        ("tableau", "Zones", ["Zone", "Communes", "Locaux", "Raccordables", "Part (%)"],
         [[z["libelle"], z["communes"], z["locaux"], z["raccordables"], round(z["part"], 1) if z["part"] is not None else None] for z in data["zones"]["lignes"]]),
        ("titre", 2, "3. Cible et phasage"),
        *[("paragraphe", f"{p['libelle']} : {_number(p['restants'])} locaux restant à raccorder ; "
           + ("tous raccordables." if p["statut"] == "atteint" else f"100 % vers {p['projection_100']} (entre {p['fourchette']})." if p["projection_100"] else f"{p['statut']}."))
          for p in data["phasage"]],
        ("titre", 2, "4. Téléphonie mobile"),
    ]  # fmt: skip
    new_deal = data["mobile"]["new_deal"]
    if new_deal:
        steps = " ; ".join(f"{label.lower()} {n}" for label, n in new_deal["par_etape"].items())
        blocks.append(("paragraphe", f"New Deal Mobile, zones désignées par arrêté : {steps} ; en retard : {new_deal['en_retard']}."))
    fragility = data["inclusion"]["fragilite"]
    blocks.append(("titre", 2, "5. Usages et inclusion numérique"))
    if fragility:
        blocks.append(
            (
                "paragraphe",
                f"Personnes à risque d'illectronisme : entre {_number(fragility['personnes_a_risque_bas'])} et {_number(fragility['personnes_a_risque_haut'])}.",
            )
        )
    blocks += [
        ("titre", 2, "6. Stratégie d'investissement"),
        ("tableau", "Investissement", ["Zone", "Locaux restants", "Coût par local (€)", "Coût (€)"],
         [[i["zone"], i["restants"], i["cout_unitaire"], i["cout_total"] if i["cout_total"] is not None else "à renseigner"] for i in data["investissement"]["lignes"]]),
        ("paragraphe", f"Total : {_number(data['investissement']['total'])} €" if data["investissement"]["total"] is not None else
         "Coûts unitaires à saisir : Terrinum n'en propose aucun par défaut."),
        ("titre", 2, "7. Plan de financement et scénarios"),
        *[("tableau", f"Scénario {sc['cible']}", ["Année", "Investissement (€)", *[f["nom"] for f in data["financement"]["financeurs"]]],
           [[a["annee"], a["montant"], *a["par_financeur"]] for a in sc["annees"]]) for sc in data["financement"]["scenarios"]],
        ("titre", 2, "Sources"),
        *[("paragraphe", f"{src['source']}, {src['millesime']} ({src['fichier']})") for src in data["sources"]],
    ]  # fmt: skip
    return odt.document(blocks)
