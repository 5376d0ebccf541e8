"""The RGPD section: the collectivités of the territory whose registers are kept here and
published (only those: a register that is not published shows nothing, not even its score),
with their compliance score; and how many are followed in all, when there are any."""

from __future__ import annotations

from terrinum.accounts.policy import commune_codes_of
from terrinum.apps.rgpd import services
from terrinum.apps.rgpd.models import Collectivite
from terrinum.territories.helpers import TerritorySet
from terrinum.territories.models import Territory


def compose(ctx) -> dict | None:
    t = ctx.territory
    if t.niveau == "arrondissement":
        return None
    if not Collectivite.objects.exists():
        return {"vide": True}
    found = Collectivite.objects.select_related("organisation")
    if t.niveau != "pays":
        communes = commune_codes_of(TerritorySet.of(t.niveau, t.code))
        epcis = set(Territory.objects.filter(niveau="commune", code__in=communes).values_list("epci_code", flat=True))
        found = found.filter(insee__in=communes | epcis)
    published = [r for r in services.dashboard(list(found.filter(registre_public=True)))]
    published.sort(key=lambda r: str(r.collectivite))
    return {"vide": False, "publies": published, "suivies": found.count()}


def stamp():
    """A register published, withdrawn or changed, or what its score counts (requests
    answered, breaches notified, actions done, processors)."""
    from terrinum.apps.rgpd.models import Action, Activite, Demande, SousTraitant, Violation
    from terrinum.pillars import Stamp, model_table

    activite, demande, violation, action, sous_traitant, collectivite = (
        model_table(m) for m in (Activite, Demande, Violation, Action, SousTraitant, Collectivite)
    )
    return Stamp(
        (
            f"SELECT count(*) FROM {activite}",
            f"SELECT max(modifie_le) FROM {activite}",
            f"SELECT count(*) FROM {demande}",
            f"SELECT count(*) FROM {demande} WHERE statut <> 'en-cours'",
            f"SELECT count(*) FROM {violation}",
            f"SELECT count(*) FROM {violation} WHERE notifiee_le IS NOT NULL",
            f"SELECT count(*) FROM {action}",
            f"SELECT count(*) FROM {action} WHERE statut = 'faite'",
            f"SELECT count(*) FROM {sous_traitant}",
            f"SELECT max(id) FROM {sous_traitant}",
        ),
        (f"SELECT id, dpo_designation_cnil FROM {collectivite} WHERE registre_public ORDER BY id",),
    )
