"""The shared diagnostic's steps that need the report: perception against measure, the
validated (frozen) version, and the tracking of the action plan's target indicators.
Rules: docs/diagnostic-partage.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone

from terrinum.apps.concertation import services
from terrinum.apps.concertation.models import Action, Contribution, Demarche
from terrinum.diagnostic import document, schema
from terrinum.pillars import publication
from terrinum.territories.models import Territory
from terrinum.warehouse import store

MIN_ANSWERS = 3  # answers on a theme before perception is compared with measure
HIGH, LOW = 4.0, 2.0  # mean difficulty: felt as hard from HIGH, as easy up to LOW


@dataclass(frozen=True)
class MeasureRule:
    """A theme's measured figure and where it is good or bad."""

    theme: str
    headline: str  # key of a pillar's headline figure
    good: float
    bad: float


# Thresholds: the national targets where there is one (docs/diagnostic-partage.md).
RULES = (
    MeasureRule("connectivite-fixe", "part_30mbits", good=95.0, bad=70.0),
    MeasureRule("connectivite-mobile", "part_4g", good=99.0, bad=90.0),
    MeasureRule("inclusion", "indice_fragilite", good=3.5, bad=6.5),
)


def headlines() -> dict:
    """Every pillar's headline figures by key."""
    return {h.key: h for h in document.headlines()}


def headline_values(t, keys) -> dict[str, dict]:
    """The territory's latest value of each headline figure: {key: {valeur, demo, libelle,
    unite}}; a figure the warehouse does not have is absent."""
    out = {}
    try:
        with store.reader() as con:
            for key in keys:
                h = headlines()[key]
                if t.niveau not in publication.LEVELS or not store.tables_exist(con, [publication.table_name(h.table)]):
                    continue
                found = document.latest_values(con, h, t.niveau, [t.code])
                if found:
                    _, value, demo = found[0]
                    out[key] = {"valeur": float(value), "demo": bool(demo), "libelle": h.libelle, "unite": h.unite}
    except store.Unavailable:
        pass
    return out


def _is_good(rule: MeasureRule, value: float) -> bool:
    return value >= rule.good if headlines()[rule.headline].higher_is_better else value <= rule.good


def _is_bad(rule: MeasureRule, value: float) -> bool:
    return value < rule.bad if headlines()[rule.headline].higher_is_better else value >= rule.bad


def perception_vs_measure(summaries, measures: dict[str, dict]) -> list[dict]:
    """Themes where the actors' difficulty disagrees with the report's figure, both ways:
    felt hard (mean ≥ HIGH) where the figure is good, or easy (mean ≤ LOW) where it is bad.
    Each flag cites both."""
    flags = []
    by_theme = {s.theme: s for s in summaries}
    for rule in RULES:
        s, m = by_theme.get(rule.theme), measures.get(rule.headline)
        if s is None or m is None or s.reponses < MIN_ANSWERS or s.moyenne is None:
            continue
        h = headlines()[rule.headline]
        cited = f"{h.libelle} : {m['valeur']:.1f} {h.unite}".replace(".", ",")
        felt = f"difficulté moyenne {s.moyenne:.1f} sur 5 ({s.reponses} réponses)".replace(".", ",")
        if s.moyenne >= HIGH and _is_good(rule, m["valeur"]):
            flags.append(
                {
                    "theme": rule.theme,
                    "sens": "ressenti-plus-difficile",
                    "texte": f"{s.libelle} : les acteurs la jugent difficile ({felt}) alors que la mesure est bonne ({cited}, seuil {rule.good:g}).",
                    **m,
                }
            )
        elif s.moyenne <= LOW and _is_bad(rule, m["valeur"]):
            flags.append(
                {
                    "theme": rule.theme,
                    "sens": "ressenti-plus-facile",
                    "texte": f"{s.libelle} : les acteurs la jugent facile ({felt}) alors que la mesure est mauvaise ({cited}, seuil {rule.bad:g}).",
                    **m,
                }
            )
    return flags


def territory_of(d: Demarche):
    return Territory.objects.get(niveau=d.territoire_niveau, code=d.territoire_code)


def consolidation(d: Demarche) -> dict:
    summaries = services.consolidate(d)
    measures = headline_values(territory_of(d), [r.headline for r in RULES])
    return {"themes": summaries, "ecarts": perception_vs_measure(summaries, measures), "mesures": measures}


def _summary_dict(s) -> dict:
    return {
        "theme": s.theme,
        "libelle": s.libelle,
        "niveaux": [s.niveaux[level] for level in services.LEVELS],  # answers at 1..5, a list: jsonb does not keep key order
        "moyenne": s.moyenne,
        "consensus": s.consensus,
        "reponses": s.reponses,
        "priorites": [list(p) for p in s.priorites],
        "signalements": [
            {
                "categorie": r.get_categorie_display(),
                "commune_code": r.commune_code,
                "latitude": r.latitude,
                "longitude": r.longitude,
                "description": r.description,
            }
            for r in s.signalements
        ],
    }


def validate(d: Demarche, who) -> Demarche:
    """Freeze the diagnostic as of now: the report's figures, peers and priorities, the
    consolidation and the visible contributions (names only where the participant consented),
    so that it reads the same later whatever is ingested. The PDF is written from this
    snapshot (terrinum.web.partage)."""
    services.require_lead(who, d)
    if d.statut != Demarche.CONSOLIDATION:
        raise services.Refused("seule une démarche en consolidation se valide", 409)
    t = territory_of(d)
    report = document.compose(t)
    c = consolidation(d)
    contributions = [
        {
            "participant": x.participant.nom if (x.participant.consent_nom or x.participant.organisation_id) else "un partenaire",
            "theme": x.libelle_theme,
            "difficulte": x.difficulte,
            "difficultes": x.difficultes,
            "priorites": x.priorites,
        }
        for x in Contribution.objects.filter(participant__demarche=d, statut=Contribution.SOUMISE, masquee=False)
        .select_related("participant")
        .order_by("theme", "participant__nom")
    ]
    with transaction.atomic():
        d.gel = {
            "valide_le": timezone.now().isoformat(timespec="seconds"),
            "rapport": report,
            "indicateurs": headline_values(t, headlines()),
            "themes": [_summary_dict(s) for s in c["themes"]],
            "ecarts": c["ecarts"],
            "contributions": contributions,
        }
        if d.livrable == Demarche.SCHEMA:
            d.gel["schema"] = schema.frozen(schema.compose_with(t, d.parametres))
        d.statut, d.validee_le = Demarche.VALIDEE, timezone.now()
        d.save()
    return d


def frozen_figures(gel: dict) -> list[dict]:
    """The frozen headline figures in the report's order (a JSON object's key order is not
    kept by PostgreSQL's jsonb: never iterate the stored object to lay out a page)."""
    stored = gel.get("indicateurs", {}) if gel else {}
    return [stored[k] for k in headlines() if k in stored]


def new_version(d: Demarche, who) -> Demarche:
    """A new démarche opened from a validated one: same territory, themes and participants."""
    services.require_lead(who, d)
    if d.statut not in (Demarche.VALIDEE, Demarche.ARCHIVEE):
        raise services.Refused("une nouvelle version s'ouvre depuis une démarche validée", 409)
    with transaction.atomic():
        nxt = Demarche.objects.create(
            porteur=d.porteur, territoire_niveau=d.territoire_niveau, territoire_code=d.territoire_code, titre=d.titre, debut=timezone.localdate(),
            fin=timezone.localdate() + dt.timedelta(days=60), themes=d.themes, version=d.version + 1, precedente=d, livrable=d.livrable,
            parametres=d.parametres,
        )  # fmt: skip
        for p in d.participants.filter(organisation__isnull=False):
            nxt.participants.create(organisation=p.organisation, nom=p.nom)
    return nxt


# --- tracking -------------------------------------------------------------------------------


@dataclass
class Tracking:
    action: Action
    actuelle: float | None
    etat: str  # atteint, en-avance, en-retard, sans-mesure
    attendue: float | None  # where the trajectory should be today

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "action"} | {"action": self.action.pk}


def track(d: Demarche, today: dt.date | None = None) -> list[Tracking]:
    """Each action's target indicator re-read from the warehouse now: reached, on track
    (at least where a straight line from baseline at validation to target at its date would
    be today), or behind."""
    today = today or timezone.localdate()
    actions = list(d.actions.exclude(indicateur=""))
    current = headline_values(territory_of(d), {a.indicateur for a in actions if a.indicateur in headlines()})
    start = timezone.localdate(d.validee_le) if d.validee_le else today
    out = []
    for a in actions:
        now = current.get(a.indicateur, {}).get("valeur")
        out.append(Tracking(a, now, *trajectory_state(a.valeur_reference, a.valeur_cible, a.date_cible, now, start, today)))
    return out


def trajectory_state(reference, target, target_date, now, start: dt.date, today: dt.date) -> tuple[str, float | None]:
    """Where a value stands against a straight line from its reference at `start` to its
    target at `target_date`: (state, the value expected today)."""
    if now is None or reference is None or target is None or target_date is None:
        return "sans-mesure", None
    span = max((target_date - start).days, 1)
    elapsed = min(max((today - start).days, 0), span)
    expected = reference + (target - reference) * elapsed / span
    up = target >= reference
    reached = now >= target if up else now <= target
    ahead = now >= expected if up else now <= expected
    return ("atteint" if reached else "en-avance" if ahead else "en-retard"), expected


# --- the master plan as the démarche's deliverable (docs/schema-directeur.md) ---------------


def set_parameters(d: Demarche, who, form) -> Demarche:
    """The lead's parameters of the plan (unit costs, funders' shares, target years, wireless
    variant), until the plan is validated: what is frozen with it."""
    services.require_lead(who, d)
    if d.livrable != Demarche.SCHEMA:
        raise services.Refused("cette démarche valide un diagnostic, pas un schéma directeur", 409)
    if d.statut in (Demarche.VALIDEE, Demarche.ARCHIVEE):
        raise services.Refused("le schéma est validé : ouvrez une nouvelle version pour le modifier", 409)
    d.parametres = schema.parameters(form)
    d.save(update_fields=["parametres"])
    return d


def plan_of(d: Demarche) -> dict:
    """The démarche's plan: frozen once validated, otherwise the draft as of now with the
    lead's parameters."""
    if d.gel and "schema" in d.gel:
        return schema.thawed(d.gel["schema"])
    return schema.compose_with(territory_of(d), d.parametres)


def plan_validation(d: Demarche) -> dict | None:
    """What the validated version says of itself: version, date, lead, participation and the
    actors' themes (from the frozen snapshot)."""
    if not d.gel or "schema" not in d.gel:
        return None
    return {
        "version": d.version,
        "le": d.validee_le,
        "porteur": d.porteur.nom,
        "participants": d.participants.count(),
        "contributions": len(d.gel.get("contributions", [])),
        "themes": [t for t in d.gel.get("themes", []) if t["reponses"]],
    }


def plan_changes(d: Demarche) -> tuple[Demarche, list[dict]] | None:
    """What changed since the last validated version of the plan (None: no earlier version)."""
    before = d.precedente
    while before is not None and not (before.gel and "schema" in before.gel):
        before = before.precedente
    if before is None:
        return None
    return before, schema.changes(before.gel["schema"], schema.frozen(plan_of(d)))


@dataclass
class PlanTarget:
    zone: str
    libelle: str
    valeur_validation: float | None
    trimestre_validation: str | None
    actuelle: float | None
    trimestre: str | None
    cible: float
    date_cible: dt.date | None
    etat: str
    attendue: float | None


def track_plan(d: Demarche, today: dt.date | None = None) -> list[PlanTarget]:
    """The validated plan's target indicators, re-read at each new vintage: each zone's share of
    FttH-connectable premises, from its value at validation to 100 % at the end of the first
    target year the lead set (none set: no trajectory, the values only)."""
    if not d.gel or "schema" not in d.gel:
        return []
    today = today or timezone.localdate()
    frozen_plan = d.gel["schema"]
    targets = sorted(d.parametres.get("cibles") or [])  # the parameters are frozen with the plan (set_parameters)
    target_date = dt.date(targets[0], 12, 31) if targets else None
    now = schema.zone_shares(territory_of(d))
    start = timezone.localdate(d.validee_le) if d.validee_le else today
    out = []
    for z in frozen_plan["zones"]["lignes"]:
        current = now.get(z["zone"], {})
        state, expected = trajectory_state(z["part"], 100.0, target_date, current.get("part"), start, today)
        out.append(PlanTarget(z["zone"], z["libelle"], z["part"], frozen_plan["zones"]["trimestre"], current.get("part"), current.get("trimestre"), 100.0,
                              target_date, state, expected))  # fmt: skip
    return out
