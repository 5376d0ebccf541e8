"""The Pass numérique section: labelled places, carnets handed out to people of the
territory and vouchers used, against the people at risk of the fragility index. Figures about
beneficiaries are shown only from MIN_PEOPLE people on (small numbers are not published);
the needs assessments of its people, from as many answers on (services.MIN_ANSWERS)."""

from __future__ import annotations

from terrinum.accounts.policy import commune_codes_of
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique.models import Autodiagnostic, Beneficiaire, Cheque, Programme
from terrinum.apps.pass_numerique.services import assessments_in
from terrinum.pillars import publication
from terrinum.territories.helpers import TerritorySet

MIN_PEOPLE = 10


def search_origin(t, communes: list[str] | None) -> tuple[str, str] | None:
    """(commune code, name) the places finder starts from for this territory: the commune
    itself, else the chef-lieu, else its most populous commune (the finder searches around a
    commune, not inside a département)."""
    from terrinum.territories.models import Territory

    if t.niveau == "commune":
        return t.code, t.nom
    found = Territory.objects.filter(niveau="commune", code=t.chef_lieu_code).first() if t.chef_lieu_code else None
    if found is None and communes:
        found = Territory.objects.filter(niveau="commune", code__in=communes).order_by("-population").first()
    return (found.code, found.nom) if found else None


def compose(ctx) -> dict | None:
    t = ctx.territory
    if t.niveau == "arrondissement":
        return None
    if not Programme.objects.exists() and not Autodiagnostic.objects.exists():
        return {"vide": True}
    scope = TerritorySet.of(t.niveau, t.code)
    communes = None if t.niveau == "pays" else sorted(commune_codes_of(scope))
    places = Lieu.objects.filter(pass_numerique=True)
    people = Beneficiaire.objects.all()
    used = Cheque.objects.filter(etat__in=("utilise", "rembourse"))
    if communes is not None:
        places, people = places.filter(commune_code__in=communes), people.filter(commune_code__in=communes)
        used = used.filter(carnet__beneficiaire__commune_code__in=communes)
    out = {"vide": False, "lieux": places.count(), "beneficiaires": people.count(), "seuil": MIN_PEOPLE, "besoins": assessments_in(communes)}
    out["recherche"] = search_origin(t, communes)
    if out["beneficiaires"] < MIN_PEOPLE:
        return out
    out["cheques_utilises"] = used.count()
    risk = None
    if ctx.con is not None:
        rows = publication.rows(ctx.con, "fragilite", t.niveau, scope)
        row = next((r for r in rows if r["code"] == t.code), None)
        if row and row["personnes_a_risque_bas"] is not None:
            risk = (row["personnes_a_risque_bas"] + row["personnes_a_risque_haut"]) / 2
            out["demo"] = row["demo"]
    out["pour_mille_a_risque"] = 1000 * out["cheques_utilises"] / risk if risk else None
    return out


def stamp():
    """A voucher handed out, used, paid or expired (each adds a ledger entry), a programme
    created, a needs assessment answered."""
    from terrinum.apps.pass_numerique.models import Mouvement
    from terrinum.pillars import Stamp, model_table

    return Stamp((f"SELECT max(id) FROM {model_table(Mouvement)}", f"SELECT max(id) FROM {model_table(Autodiagnostic)}"))
