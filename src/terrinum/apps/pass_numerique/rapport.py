"""The funder's campaign report of a programme: vouchers ordered, handed out, used, paid and
credited back, by month, prescriber, place, beneficiaries' commune and age band, with the
reach per 1,000 people at risk; as an ODS workbook (one sheet per table) and a tagged PDF.
Every figure is counted from the ledger's current state (the vouchers and their carnets), in
one place, so that the page, the ODS and the PDF say the same. Rules: docs/pass-numerique.md,
« Rapport de campagne »."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.template.loader import render_to_string
from django.utils import timezone

from terrinum import ods
from terrinum.apps.pass_numerique.models import ANNULE, ATTRIBUE, EMIS, EXPIRE, REMBOURSE, UTILISE, Beneficiaire, Cheque, Programme
from terrinum.apps.pass_numerique.services import reach
from terrinum.territories.models import Territory

USED = (UTILISE, REMBOURSE)


@dataclass
class Table:
    titre: str
    colonnes: list[str]
    lignes: list[list]


@dataclass
class Report:
    programme: Programme
    tables: list[Table]
    portee: dict | None
    etabli_le: object


def _month(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m") if value else "—"


def campaign(programme: Programme) -> Report:
    vouchers = Cheque.objects.filter(programme=programme)
    value = programme.valeur_centimes
    handed = Q(carnet__attribue_le__isnull=False)
    counts = vouchers.aggregate(
        commandes=Count("id"),
        remis=Count("id", filter=handed),
        utilises=Count("id", filter=Q(etat__in=USED)),
        regles=Count("id", filter=Q(etat=REMBOURSE)),
        recredites=Count("id", filter=Q(etat=EXPIRE)),
        annules=Count("id", filter=Q(etat=ANNULE)),
        en_circulation=Count("id", filter=Q(etat=ATTRIBUE)),
        non_remis=Count("id", filter=Q(etat=EMIS) & ~handed),
    )
    labels = [
        ("commandes", "Commandés"),
        ("remis", "Remis aux bénéficiaires"),
        ("en_circulation", "Remis, pas encore utilisés"),
        ("non_remis", "Pas encore remis"),
        ("utilises", "Utilisés dans un lieu"),
        ("regles", "Réglés aux lieux"),
        ("recredites", "Expirés, recrédités au commanditaire"),
        ("annules", "Annulés"),
    ]
    portee = reach(programme)
    summary = [[label, counts[key], counts[key] * value / 100] for key, label in labels]
    if portee:
        summary.append(["Chèques utilisés pour 1 000 personnes à risque d'illectronisme", round(portee["pour_mille"], 1), None])

    by_month: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for month, n in vouchers.filter(handed).annotate(m=TruncMonth("carnet__attribue_le")).values_list("m").annotate(n=Count("id")).values_list("m", "n"):
        by_month[_month(month)][0] += n
    for month, n in vouchers.filter(etat__in=USED).annotate(m=TruncMonth("utilise_le")).values_list("m").annotate(n=Count("id")).values_list("m", "n"):
        by_month[_month(month)][1] += n
    for month, n in vouchers.filter(etat=REMBOURSE).values_list("reglement__mois").annotate(n=Count("id")).values_list("reglement__mois", "n"):
        by_month[month][2] += n
        by_month[month][3] += n * value
    months = [[m, *v[:3], v[3] / 100] for m, v in sorted(by_month.items())]

    allocated = dict(programme.dotations.values_list("prescripteur").annotate(n=Sum("carnets")).values_list("prescripteur", "n"))
    per_prescriber = {
        r["carnet__prescripteur"]: r
        for r in vouchers.filter(carnet__prescripteur__isnull=False)
        .values("carnet__prescripteur")
        .annotate(remis=Count("id"), utilises=Count("id", filter=Q(etat__in=USED)), carnets=Count("carnet", distinct=True))
    }
    prescribers = [
        [p.nom, allocated.get(p.pk, 0), per_prescriber.get(p.pk, {}).get("carnets", 0), per_prescriber.get(p.pk, {}).get("remis", 0),
         per_prescriber.get(p.pk, {}).get("utilises", 0)]
        for p in programme.prescripteurs.order_by("nom")
    ]  # fmt: skip

    places = [
        [r["lieu__nom"], r["lieu__commune"], r["utilises"], r["regles"], r["regles"] * value / 100]
        for r in vouchers.filter(etat__in=USED)
        .values("lieu__nom", "lieu__commune")
        .annotate(utilises=Count("id"), regles=Count("id", filter=Q(etat=REMBOURSE)))
        .order_by("-utilises", "lieu__nom")
    ]

    def by_beneficiary(key: str) -> list[dict]:
        return list(
            vouchers.filter(handed)
            .values(key)
            .annotate(personnes=Count("carnet__beneficiaire", distinct=True), remis=Count("id"), utilises=Count("id", filter=Q(etat__in=USED)))
            .order_by(key)
        )

    rows = by_beneficiary("carnet__beneficiaire__commune_code")
    names = dict(Territory.objects.filter(niveau="commune", code__in=[r["carnet__beneficiaire__commune_code"] for r in rows]).values_list("code", "nom"))
    communes = [
        [
            names.get(r["carnet__beneficiaire__commune_code"], "commune inconnue"),
            r["carnet__beneficiaire__commune_code"] or "—",
            r["personnes"],
            r["remis"],
            r["utilises"],
        ]
        for r in rows
    ]
    ages = dict(Beneficiaire.AGES)
    bands = [
        [ages.get(r["carnet__beneficiaire__tranche_age"], "non renseignée"), r["personnes"], r["remis"], r["utilises"]]
        for r in by_beneficiary("carnet__beneficiaire__tranche_age")
    ]
    tables = [
        Table("Synthèse", ["Chèques", "Nombre", "Valeur faciale (€)"], summary),
        Table("Par mois", ["Mois", "Chèques remis", "Chèques utilisés", "Chèques réglés", "Montant réglé (€)"], months),
        Table("Par prescripteur", ["Prescripteur", "Carnets reçus", "Carnets remis", "Chèques remis", "Chèques utilisés"], prescribers),
        Table("Par lieu", ["Lieu", "Commune", "Chèques utilisés", "Chèques réglés", "Montant réglé (€)"], places),
        Table("Par commune des bénéficiaires", ["Commune", "Code", "Bénéficiaires", "Chèques remis", "Chèques utilisés"], communes),
        Table("Par tranche d'âge", ["Tranche d'âge", "Bénéficiaires", "Chèques remis", "Chèques utilisés"], bands),
    ]
    return Report(programme, tables, portee, timezone.localtime())


def territory_name(p: Programme) -> str:
    found = Territory.objects.filter(niveau=p.territoire_niveau, code=p.territoire_code).first()
    return f"{found.nom} ({p.territoire_code})" if found else f"{p.territoire_niveau} {p.territoire_code}"


def as_ods(report: Report) -> bytes:
    p = report.programme
    about = [
        ["Programme", f"n° {p.pk} « {p.nom} »"],
        ["Commanditaire", p.financeur.nom],
        ["Territoire", territory_name(p)],
        ["Valeur d'un chèque (€)", p.valeur_centimes / 100],
        ["Valables jusqu'au", f"{p.fin_validite:%d/%m/%Y}"],
        ["Acceptés jusqu'au", f"{p.fin_tolerance:%d/%m/%Y}"],
        ["Établi le", f"{report.etabli_le:%d/%m/%Y %H:%M}"],
    ]
    if report.portee:
        about.append(["Personnes à risque (source)", f"{report.portee['bas']:.0f} à {report.portee['haut']:.0f} — {report.portee['source']}"])
        if report.portee.get("demo"):
            about.append(["Attention", "personnes à risque : données de démonstration"])
    return ods.sheets([("Programme", ["", ""], about), *[(t.titre[:31], t.colonnes, t.lignes) for t in report.tables]])


def as_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    html = render_to_string("pass_numerique/rapport_pdf.html", {"r": report, "p": report.programme, "territoire": territory_name(report.programme)})
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
