"""The DPO's annual report, per collectivité and for the whole structure: the register
(activities, verified, created in the year), impact analyses, requests of the year (by right,
outcome, in time or late), breaches of the year (notified, late), the action plan and the
score with its criteria; as an OpenDocument text (odfpy) and a tagged PDF (WeasyPrint), the
same tables in both. Counted from the register as it stands when the report is made. Rules:
docs/rgpd.md, « Rapport annuel »."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from terrinum import odt
from terrinum.accounts.models import Organisation
from terrinum.apps.rgpd.models import Activite, Collectivite, Demande, Violation
from terrinum.apps.rgpd.services import breach_late, dashboard, dpo_of, request_late


@dataclass
class Table:
    titre: str
    colonnes: list[str]
    lignes: list[list]


@dataclass
class AnnualReport:
    titre: str
    annee: int
    sous_titre: str
    tables: list[Table]
    etabli_le: dt.datetime


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


def for_collectivite(c: Collectivite, year: int, now: dt.datetime | None = None) -> AnnualReport:
    now = now or timezone.now()
    start, end = _year_bounds(year)
    (row,) = dashboard([c], now)
    activities = list(c.activites.all())
    register = [
        ["Activités au registre", len(activities)],
        ["dont vérifiées par le DPO", sum(a.statut == Activite.VERIFIE for a in activities)],
        ["dont en brouillon", sum(a.statut == Activite.BROUILLON for a in activities)],
        [f"créées en {year}", sum(start <= a.cree_le < end for a in activities)],
        ["analyse d'impact requise", sum(a.aipd_requise for a in activities)],
        ["analyse d'impact requise et faite", sum(a.aipd_requise and a.aipd_statut == "faite" for a in activities)],
        ["Sous-traitants", c.sous_traitants.count()],
    ]
    analyses = [
        [a.nom, a.activite.nom if a.activite else "—", a.get_statut_display(), f"{timezone.localtime(a.modifie_le):%d/%m/%Y}"]
        for a in c.analyses.select_related("activite")
    ]
    requests = list(c.demandes.filter(recue_le__gte=start, recue_le__lt=end))
    by_right: dict[str, list[int]] = {}
    for d in requests:
        counts = by_right.setdefault(d.get_droit_display(), [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += d.statut == Demande.EN_COURS
        counts[2] += d.statut != Demande.EN_COURS and not request_late(d, now)
        counts[3] += request_late(d, now)
    outcomes: dict[str, int] = {}
    for d in requests:
        outcomes[d.get_statut_display()] = outcomes.get(d.get_statut_display(), 0) + 1
    breaches = list(c.violations.filter(connue_le__gte=start, connue_le__lt=end))
    breach_rows = [
        [f"{timezone.localtime(v.connue_le):%d/%m/%Y}", ", ".join(dict(Violation.NATURES).get(n, n) for n in v.natures), v.get_risque_display(), v.personnes,
         f"{timezone.localtime(v.notifiee_le):%d/%m/%Y}" if v.notifiee_le else ("non requise" if not v.notification_requise else "non notifiée"),
         "oui" if breach_late(v, now) else "non"]
        for v in breaches
    ]  # fmt: skip
    actions = list(c.actions.all())
    today = timezone.localdate(now)
    plan = [
        [
            a.intitule,
            a.get_priorite_display(),
            f"{a.echeance:%d/%m/%Y}",
            a.get_statut_display() + (" (en retard)" if a.statut != "faite" and a.echeance < today else ""),
        ]
        for a in actions
    ]
    score = [[label, "sans objet" if got is None else got, points] for label, got, points in row.details()]
    latest = c.maturites.select_related("referentiel").filter(faite_le__gte=start, faite_le__lt=end).first()
    maturity = Table(
        f"Maturité (évaluation du {timezone.localtime(latest.faite_le):%d/%m/%Y}, {latest.referentiel})" if latest else f"Maturité ({year})",
        ["Domaine", "Score sur 100"],
        [*latest.par_domaine(), ["Ensemble", latest.score()]] if latest else [],
    )
    dpo = dpo_of(c)
    return AnnualReport(
        f"Rapport annuel du délégué à la protection des données — {c}",
        year,
        f"Année {year} ; DPO : {dpo} ; score de conformité au {timezone.localtime(now):%d/%m/%Y} : {row.score} / 100.",
        [
            Table("Registre des activités de traitement", ["Indicateur", "Nombre"], register),
            Table("Analyses d'impact", ["Analyse", "Activité", "État", "Mise à jour"], analyses),
            Table(
                f"Demandes d'exercice des droits reçues en {year}",
                ["Droit", "Reçues", "En cours", "Traitées dans les délais", "En retard"],
                [[k, *v] for k, v in sorted(by_right.items())],
            ),  # fmt: skip
            Table(f"Suites données aux demandes de {year}", ["Suite", "Nombre"], sorted([k, v] for k, v in outcomes.items())),
            Table(f"Violations de données connues en {year}", ["Connue le", "Nature", "Risque", "Personnes", "Notifiée à la CNIL", "En retard"], breach_rows),
            maturity,
            Table("Plan d'actions", ["Action", "Priorité", "Échéance", "État"], plan),
            Table("Score de conformité", ["Critère", "Points obtenus", "Sur"], score),
        ],
        timezone.localtime(now),
    )


def for_structure(structure: Organisation, collectivites: list[Collectivite], year: int, now: dt.datetime | None = None) -> AnnualReport:
    """The structure's report: one line per collectivité it serves (that the reader reads); a
    structure that serves none yet has an empty table, said in its subtitle."""
    now = now or timezone.now()
    start, end = _year_bounds(year)
    rows = sorted(dashboard(collectivites, now), key=lambda r: str(r.collectivite))
    ids = [c.pk for c in collectivites]
    requests = {}
    for d in Demande.objects.filter(collectivite_id__in=ids, recue_le__gte=start, recue_le__lt=end).select_related("collectivite"):
        counts = requests.setdefault(d.collectivite_id, [0, 0])
        counts[0] += 1
        counts[1] += request_late(d, now)
    breaches = {}
    for v in Violation.objects.filter(collectivite_id__in=ids, connue_le__gte=start, connue_le__lt=end):
        counts = breaches.setdefault(v.collectivite_id, [0, 0])
        counts[0] += 1
        counts[1] += breach_late(v, now)
    lines = [
        [
            str(r.collectivite),
            r.score,
            r.activites,
            r.verifiees,
            f"{r.aipd_faites}/{r.aipd_requises}",
            *requests.get(r.collectivite.pk, [0, 0]),
            *breaches.get(r.collectivite.pk, [0, 0]),
        ]
        for r in rows
    ]
    if not rows:
        return AnnualReport(
            f"Rapport annuel du délégué à la protection des données — {structure.nom}", year,
            f"Année {year} : la structure ne sert encore aucune collectivité.", [Table("Collectivités servies", ["Collectivité"], [])], timezone.localtime(now),
        )  # fmt: skip
    totals = ["Ensemble", round(sum(r.score for r in rows) / len(rows)), sum(r.activites for r in rows), sum(r.verifiees for r in rows),
              f"{sum(r.aipd_faites for r in rows)}/{sum(r.aipd_requises for r in rows)}", *[sum(line[i] for line in lines) for i in (5, 6, 7, 8)]]  # fmt: skip
    return AnnualReport(
        f"Rapport annuel du délégué à la protection des données — {structure.nom}",
        year,
        f"Année {year} ; {len(rows)} collectivité(s) servie(s) ; score moyen au {timezone.localtime(now):%d/%m/%Y} : {totals[1]} / 100.",
        [
            Table(
                "Collectivités servies",
                [
                    "Collectivité",
                    "Score",
                    "Activités",
                    "Vérifiées",
                    "Analyses faites / requises",
                    f"Demandes {year}",
                    "en retard",
                    f"Violations {year}",
                    "en retard",
                ],
                [*lines, totals],
            )
        ],
        timezone.localtime(now),
    )


def as_pdf(report: AnnualReport) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_to_string("rgpd/rapport_annuel_pdf.html", {"r": report})).write_pdf(pdf_variant="pdf/ua-1")


def as_odt(report: AnnualReport) -> bytes:
    """The same report as an OpenDocument text (headings, paragraphs, tables)."""
    blocks = [
        ("titre", 1, report.titre),
        ("paragraphe", report.sous_titre),
        ("paragraphe", f"Établi le {report.etabli_le:%d/%m/%Y à %H:%M}, d'après le registre à cette date."),
    ]
    for t in report.tables:
        blocks += [("titre", 2, t.titre), ("tableau", t.titre, t.colonnes, t.lignes)]
    return odt.document(blocks)
