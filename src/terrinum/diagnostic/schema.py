"""The territory's digital master plan (schéma directeur territorial d'aménagement numérique,
article L1425-2 of the CGCT), drafted from open data and the other parts of Terrinum: the
diagnosis (the report's figures and priorities), the zones of intervention of the fibre
rollout and their phasing, mobile coverage and the New Deal's orders, digital inclusion, and
the investment strategy — whose unit costs the territory enters (no default: none is
invented). A draft for a département or a région, and an intercommunality's strategy with its
share of the département's networks; a démarche of the shared process validates a frozen
version (diagnostic.partage) and a new version says what changed. docs/schema-directeur.md."""

from __future__ import annotations

import datetime as dt
import json

from terrinum.apps.concertation.models import Demarche
from terrinum.diagnostic import document
from terrinum.pillars.connectivite_fixe import indicators as fixed
from terrinum.pillars.connectivite_fixe import zones
from terrinum.warehouse import store

LEVELS = Demarche.SCHEMA_LEVELS  # a département, a région (article L1425-2), an intercommunality
ZONE_LABELS = {
    "ZTD": "Zones très denses (déploiement des opérateurs privés)",
    "AMII": "Zone des engagements privés (article L.33-13, dite « AMII »)",
    "RIP": "Réseaux d'initiative publique (RIP)",
}


COST_KEYS = (*zones.ZONES, *(f"{z}_{c}" for z in zones.ZONES for c in ("rurale", "urbaine")))  # a zone's cost, or a class's in it
WEIGHT_LABELS = {"population": "de la population", "fragilite": "des personnes à risque d'illectronisme"}
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
        raise ValueError("un schéma directeur se dresse pour un département, une région ou une intercommunalité")
    unit_costs = {k: c for k, c in (unit_costs or {}).items() if k in COST_KEYS and c is not None and c >= 0}
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
        left = z.restants
        phasing.append({"zone": z.zone, "libelle": ZONE_LABELS[z.zone], "restants": left, "projection_100": quarter, "fourchette": spread, "statut": status})
        investment.append(_investment(z, unit_costs))
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
            "part_departements": _epci_shares(t) if t.niveau == "epci" else [],
        },
        "phasage": phasing,
        "mobile": {"couverture": facts.get("mobile"), "new_deal": _new_deal(t)},
        "inclusion": {"fragilite": facts.get("fragilite"), "lieux": facts.get("lieux"), "lieux_pass": facts.get("lieux_pass"), "implantation": _siting(t)},
        "investissement": {"lignes": investment, "total": total},
        "financement": financing(
            total,
            shares,
            targets,
            {**(wireless or {}), "cout_rip": _mean_cost(next((i for i in investment if i["zone"] == "RIP"), None))},
            next((i["restants"] for i in investment if i["zone"] == "RIP"), 0),
            dt.date.fromisoformat(report["date"]),
        ),
        "sources": list({(x["source"], x["millesime"], x["fichier"]): x for x in report["sources"]}.values()),
        "demo": report["demo"] or any(z.demo for z in inventory.zones),
    }


def _investment(z, unit_costs: dict[str, float]) -> dict:
    """A zone's investment: its premises left × unit cost, per density class where the reader
    gave a class's cost (`RIP_rurale`), else at the zone's; the zone's total once every class
    has a cost."""
    classes = []
    for c, left in (z.restants_par_classe or {}).items():
        cost = unit_costs.get(f"{z.zone}_{c}", unit_costs.get(z.zone))
        classes.append({"classe": c, "libelle": zones.CLASSES[c], "restants": left, "cout_unitaire": cost, "cout_propre": unit_costs.get(f"{z.zone}_{c}"),
                        "cout_total": round(left * cost) if cost is not None else None})  # fmt: skip
    priced = classes and all(c["cout_total"] is not None for c in classes)
    return {
        "zone": z.zone,
        "restants": z.restants,
        "cout_unitaire": unit_costs.get(z.zone),
        "cout_total": sum(c["cout_total"] for c in classes) if priced else None,
        "classes": classes,
    }


def _mean_cost(line: dict | None) -> float | None:
    """The mean cost per premise left of a zone (what a premise served otherwise saves)."""
    if line is None or line["cout_total"] is None or not line["restants"]:
        return line["cout_unitaire"] if line else None
    return line["cout_total"] / line["restants"]


def _siting(t) -> dict | None:
    """Where new places of accompaniment should open: the siting page's default proposal (the
    same parameters, the same kept result), for a département or an intercommunality; a
    région's runs as a job on its own page."""
    from terrinum.planning import proposal

    if t.niveau not in proposal.SITING_OPEN_LEVELS:
        return None
    params = proposal.siting_params({})
    try:
        r = proposal.kept_result(t, params)["r"]
    except (ValueError, RuntimeError):
        return None
    if r.get("part_couverte_avant") is None:
        return None
    from terrinum.territories.models import Territory

    names = dict(Territory.objects.filter(niveau="commune", code__in=[c["commune_code"] for c in r["sites_choisis"]]).values_list("code", "nom"))
    return {
        "nouveaux": r["nouveaux_sites"], "rayon_km": r["rayon_km"], "poids": WEIGHT_LABELS.get(r["poids"], r["poids"]), "demo": r["demo"],
        "existants": r["sites_existants"], "part_avant": r["part_couverte_avant"], "part_apres": r["part_couverte_apres"],
        "communes": [names.get(c["commune_code"], c["nom"]) for c in r["sites_choisis"]],
    }  # fmt: skip


def _epci_shares(t) -> list[dict]:
    """An intercommunality's share of each of its départements' networks: its premises,
    connectable and left premises per zone against the département's (the same inventory, so
    that the département's figures are the sum of its intercommunalities')."""
    out = []
    try:
        with store.reader() as con:
            deps = [r[0] for r in con.execute("SELECT DISTINCT departement_code FROM ref_commune WHERE epci_code = ? ORDER BY 1", [t.code]).fetchall()]
            names = dict(con.execute("SELECT code, nom FROM ref_territoire WHERE niveau = 'departement'").fetchall())
            for dep in deps:
                whole = zones.inventory(con, "departement", dep)
                for z in whole.zones:
                    mine = next((e for e in whole.par_epci if e["epci"] == t.code and e["zone"] == z.zone), None)
                    if mine is None:
                        continue
                    total_connectable = z.raccordables.get(whole.trimestres[-1], 0) if whole.trimestres else 0
                    out.append({
                        "departement": dep, "nom": names.get(dep, dep), "zone": z.zone, "libelle": ZONE_LABELS[z.zone],
                        "locaux": mine["locaux"], "locaux_departement": z.locaux, "raccordables": mine["raccordables"], "raccordables_departement": total_connectable,
                        "restants": mine["restants"], "restants_departement": z.restants,
                        "part_restants": round(100 * mine["restants"] / z.restants, 1) if z.restants else None,
                    })  # fmt: skip
    except store.Unavailable:
        return []
    return out


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


def title(t) -> str:
    return "Stratégie numérique intercommunale" if t.niveau == "epci" else "Schéma directeur territorial d'aménagement numérique"


def _number(value) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if value is not None else "—"


def as_pdf(t, data: dict, validation: dict | None = None) -> bytes:
    """The draft as a tagged PDF (the page's text, without its links and form); with
    `validation` (version, date, lead, participants, the actors' themes), the validated version
    of a démarche."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string("diagnostic/schema_directeur_pdf.html", {"t": t, "s": data, "pdf": True, "validation": validation})
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def as_odt(t, data: dict) -> bytes:
    """The draft as an OpenDocument text, to edit with the territory's actors."""
    from terrinum import odt

    blocks = [
        ("titre", 1, f"{title(t)} — projet {t.de_nom}"),
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
        *([("titre", 3, "Part de l'intercommunalité dans les réseaux du département"),
           ("tableau", "Part", ["Département", "Zone", "Locaux", "Locaux du département", "Restant à raccorder", "Restant du département", "Part (%)"],
            [[p["nom"], p["zone"], p["locaux"], p["locaux_departement"], p["restants"], p["restants_departement"], p["part_restants"]]
             for p in data["zones"]["part_departements"]])] if data["zones"]["part_departements"] else []),
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
    places, siting = data["inclusion"]["lieux"], data["inclusion"]["implantation"]
    if places:
        blocks.append(("paragraphe", f"Lieux d'accompagnement : {_number(places['nb_lieux'])} ; {_number(places['pop_au_dela_20km'])} habitants à plus de 20 km "
                       f"du plus proche ; {data['inclusion']['lieux_pass'] or 0} acceptant le Pass numérique."))  # fmt: skip
    if siting:
        blocks.append(("paragraphe", f"Où ouvrir de nouveaux lieux : avec {siting['nouveaux']} nouveaux lieux ({', '.join(siting['communes'])}), la part "
                       f"{siting['poids']} à moins de {siting['rayon_km']:g} km d'un lieu passerait de {siting['part_avant']:.1f} % à {siting['part_apres']:.1f} %."))  # fmt: skip
    blocks += [
        ("titre", 2, "6. Stratégie d'investissement"),
        ("tableau", "Investissement", ["Zone", "Locaux restants", "Coût par local (€)", "Coût (€)"],
         [row for i in data["investissement"]["lignes"] for row in
          [[i["zone"], i["restants"], i["cout_unitaire"], i["cout_total"] if i["cout_total"] is not None else "à renseigner"]]
          + [[f"{i['zone']}, {c['libelle']}", c["restants"], c["cout_unitaire"], c["cout_total"] if c["cout_total"] is not None else "à renseigner"]
             for c in i["classes"] if len(i["classes"]) > 1]]),
        ("paragraphe", f"Total : {_number(data['investissement']['total'])} €" if data["investissement"]["total"] is not None else
         "Coûts unitaires à saisir : Terrinum n'en propose aucun par défaut."),
        ("titre", 2, "7. Plan de financement et scénarios"),
        *[("tableau", f"Scénario {sc['cible']}", ["Année", "Investissement (€)", *[f["nom"] for f in data["financement"]["financeurs"]]],
           [[a["annee"], a["montant"], *a["par_financeur"]] for a in sc["annees"]]) for sc in data["financement"]["scenarios"]],
        ("titre", 2, "Sources"),
        *[("paragraphe", f"{src['source']}, {src['millesime']} ({src['fichier']})") for src in data["sources"]],
    ]  # fmt: skip
    return odt.document(blocks)


# --- the reader's parameters, the frozen version and what changed ---------------------------

PARAMETER_NAMES = ("cout_ZTD", "cout_AMII", "cout_RIP", *(f"part_{f}" for f in FUNDERS), "cibles", "hertzien_part", "cout_hertzien")


def parameters(form) -> dict:
    """The reader's parameters from a form or a query string (a page's GET, a démarche's POST):
    unit costs per zone, funders' shares, target years, the wireless variant. A value that
    does not read as a number, or out of bounds, is dropped (the page shows the field empty)."""

    def number(name: str, top: float) -> float | None:
        text = (form.get(name) or "").strip().replace(",", ".")
        try:
            value = float(text) if text else None
        except ValueError:
            return None
        return value if value is None or 0 <= value <= top else None

    return {
        "couts": {k: number(f"cout_{k}", 100_000) for k in COST_KEYS},
        "parts": {f: number(f"part_{f}", 100) for f in FUNDERS},
        "cibles": [int(y) for y in (form.get("cibles") or "").replace(";", ",").split(",") if y.strip().isdigit()][:4],
        "hertzien": {"part": number("hertzien_part", 100), "cout": number("cout_hertzien", 100_000)},
    }


def query_of(params: dict) -> str:
    """The parameters as a query string (links to the PDF and ODT keep them)."""
    costs, funding = kept_fields(params)
    return "".join(f"&{k}={v}" for k, v in costs + funding)


def cost_fields(params: dict) -> list[tuple[str, str, float | None]]:
    """The unit-cost fields of a form: (key, label, value), a zone's then its classes'."""
    out = []
    for z in zones.ZONES:
        out.append((z, f"Coût par local, zone {z} (euros)", params["couts"].get(z)))
        out += [
            (f"{z}_{c}", f"… dont {zones.CLASSES[c]} (facultatif, sinon le coût de la zone)", params["couts"].get(f"{z}_{c}")) for c in ("rurale", "urbaine")
        ]
    return out


def kept_fields(params: dict) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The parameters one form of the page carries as hidden fields so that the other's are not
    lost: (the costs, for the financing form; the financing, for the costs form)."""
    costs = [(f"cout_{k}", f"{v:g}") for k, v in params["couts"].items() if v is not None]
    funding = [(f"part_{f}", f"{v:g}") for f, v in params["parts"].items() if v is not None]
    funding += [(k, f"{params['hertzien'][w]:g}") for k, w in (("hertzien_part", "part"), ("cout_hertzien", "cout")) if params["hertzien"][w] is not None]
    return costs, funding + ([("cibles", ",".join(map(str, params["cibles"])))] if params["cibles"] else [])


def compose_with(t, params: dict | None) -> dict:
    params = params or parameters({})
    return compose(t, params.get("couts"), params.get("parts"), params.get("cibles"), params.get("hertzien"))


def frozen(data: dict) -> dict:
    """The plan as stored in a validated démarche (JSON: dates as text)."""
    return json.loads(json.dumps(data, default=str))


def thawed(stored: dict) -> dict:
    """A stored plan ready for the templates again."""
    return {**stored, "date_edition": dt.date.fromisoformat(stored["date_edition"])}


def zone_shares(t) -> dict[str, dict]:
    """Each zone's share of FttH-connectable premises now, with its quarter: the plan's target
    indicators, re-read at each new vintage of the deployment file."""
    try:
        with store.reader() as con:
            inventory = zones.inventory(con, t.niveau, t.code)
    except store.Unavailable:
        return {}
    latest = inventory.trimestres[-1] if inventory.trimestres else None
    return {z.zone: {"part": z.part(latest), "trimestre": latest, "restants": z.restants} for z in inventory.zones if latest}


def _fr(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def changes(old: dict, new: dict) -> list[dict]:
    """What changed from one version of the plan to the next, chapter by chapter, in words:
    each zone's premises and connectable premises (and their quarter), the projected
    completion, the New Deal's orders, the diagnostic's figures and priorities, the unit costs,
    investment, shares and target years. Nothing listed: nothing changed."""
    out: list[dict] = []

    def say(chapter: str, text: str) -> None:
        out.append({"chapitre": chapter, "texte": text})

    old_zones = {z["zone"]: z for z in old["zones"]["lignes"]}
    new_zones = {z["zone"]: z for z in new["zones"]["lignes"]}
    quarters = f" ({old['zones']['trimestre'] or '—'} → {new['zones']['trimestre'] or '—'})" if old["zones"]["trimestre"] != new["zones"]["trimestre"] else ""
    for zone in zones.ZONES:
        a, b = old_zones.get(zone), new_zones.get(zone)
        if a is None and b is None:
            continue
        label = ZONE_LABELS[zone]
        if a is None or b is None:
            say("Zones d'intervention", f"{label} : {'apparaît' if a is None else 'disparaît'} ({_fr((b or a)['communes'])} communes).")
            continue
        for key, what in (("communes", "communes"), ("locaux", "locaux"), ("raccordables", "locaux raccordables")):
            if a[key] != b[key]:
                extra = f", part {_fr(a['part'], 1)} % → {_fr(b['part'], 1)} %" if key == "raccordables" else ""
                say("Zones d'intervention", f"{label} : {what} {_fr(a[key])} → {_fr(b[key])}{extra}{quarters if key == 'raccordables' else ''}.")
    old_phase = {p["zone"]: p for p in old["phasage"]}
    for p in new["phasage"]:
        q = old_phase.get(p["zone"])
        if q is None:
            continue
        if q["restants"] != p["restants"]:
            say("Cible et phasage", f"{p['libelle']} : locaux restant à raccorder {_fr(q['restants'])} → {_fr(p['restants'])}.")
        if q["projection_100"] != p["projection_100"]:
            say("Cible et phasage", f"{p['libelle']} : 100 % projeté {q['projection_100'] or '—'} → {p['projection_100'] or '—'}.")
    a, b = old["mobile"].get("new_deal") or {}, new["mobile"].get("new_deal") or {}
    for label in sorted(set(a.get("par_etape", {})) | set(b.get("par_etape", {}))):
        x, y = a.get("par_etape", {}).get(label, 0), b.get("par_etape", {}).get(label, 0)
        if x != y:
            say("Téléphonie mobile", f"New Deal Mobile, zones « {label.lower()} » : {x} → {y}.")
    if a.get("en_retard", 0) != b.get("en_retard", 0):
        say("Téléphonie mobile", f"New Deal Mobile, zones en retard : {a.get('en_retard', 0)} → {b.get('en_retard', 0)}.")
    old_figures = {c["libelle"]: c for c in old["diagnostic"]["chiffres"]}
    for c in new["diagnostic"]["chiffres"]:
        before = old_figures.get(c["libelle"])
        if before is not None and round(before["valeur"], 1) != round(c["valeur"], 1):
            say("Diagnostic", f"{c['libelle']} : {_fr(before['valeur'], 1)} → {_fr(c['valeur'], 1)} {c['unite']}".rstrip() + ".")
    for p in new["diagnostic"]["priorites"]:
        if p not in old["diagnostic"]["priorites"]:
            say("Diagnostic", f"Nouvelle priorité : {p}.")
    for p in old["diagnostic"]["priorites"]:
        if p not in new["diagnostic"]["priorites"]:
            say("Diagnostic", f"Priorité levée : {p}.")
    old_lines = {i["zone"]: i for i in old["investissement"]["lignes"]}
    for i in new["investissement"]["lignes"]:
        before = old_lines.get(i["zone"])
        if before is None:
            continue
        if before["cout_unitaire"] != i["cout_unitaire"]:
            say("Stratégie d'investissement", f"Coût par local, zone {i['zone']} : {_fr(before['cout_unitaire'])} € → {_fr(i['cout_unitaire'])} €.")
        old_classes = {c["classe"]: c for c in before.get("classes", [])}
        for c in i["classes"]:
            b = old_classes.get(c["classe"])
            own = b is not None and (b["cout_unitaire"] != before["cout_unitaire"] or c["cout_unitaire"] != i["cout_unitaire"])  # a class's own cost
            if own and b["cout_unitaire"] != c["cout_unitaire"]:
                say(
                    "Stratégie d'investissement",
                    f"Coût par local, zone {i['zone']}, {c['libelle']} : {_fr(b['cout_unitaire'])} € → {_fr(c['cout_unitaire'])} €.",
                )
    if old["investissement"]["total"] != new["investissement"]["total"]:
        say("Stratégie d'investissement", f"Investissement total : {_fr(old['investissement']['total'])} € → {_fr(new['investissement']['total'])} €.")
    old_parts, new_parts = old["financement"]["parts"], new["financement"]["parts"]
    for f in FUNDERS:
        if old_parts.get(f) != new_parts.get(f):
            say("Plan de financement", f"Part {FUNDER_LABELS[f]} : {_fr(old_parts.get(f), 1)} % → {_fr(new_parts.get(f), 1)} %.")
    old_targets = sorted({s["cible"] for s in old["financement"]["scenarios"]})
    new_targets = sorted({s["cible"] for s in new["financement"]["scenarios"]})
    if old_targets != new_targets:
        say("Plan de financement", f"Années cibles : {', '.join(map(str, old_targets)) or 'aucune'} → {', '.join(map(str, new_targets)) or 'aucune'}.")
    return out
