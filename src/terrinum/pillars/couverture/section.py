"""The coverage-reports section: how many zones the territory's collectivités reported, how
many are still open, and the project team's decisions (counts only: no reporter, no text)."""

from __future__ import annotations

from django.db.models import Count, Q

from terrinum.accounts.policy import commune_codes_of
from terrinum.apps.signalements.models import Signalement, Zone
from terrinum.territories.helpers import TerritorySet


def compose(ctx) -> dict | None:
    t = ctx.territory
    if t.niveau == "arrondissement":
        return None
    found = Signalement.objects.all()
    if t.niveau == "departement":
        found = found.filter(departement_code=t.code)
    elif t.niveau != "pays":
        found = found.filter(commune_code__in=commune_codes_of(TerritorySet.of(t.niveau, t.code)))
    open_ = Q(zone__isnull=True) | Q(zone__decision=Zone.A_EXAMINER)
    counts = found.aggregate(total=Count("pk"), ouverts=Count("pk", filter=open_))
    if not counts["total"]:
        return {**counts, "decisions": []}  # nothing reported is a fact, not missing data
    decided = dict(found.exclude(open_).values_list("zone__decision").annotate(n=Count("pk")).values_list("zone__decision", "n"))
    return {**counts, "decisions": [(label, decided[key]) for key, label in Zone.DECISIONS if decided.get(key)]}


def stamp():
    """A coverage report, or a zone's decision."""
    from terrinum.pillars import Stamp, model_table

    signalement, zone = model_table(Signalement), model_table(Zone)
    return Stamp(
        (f"SELECT count(*) FROM {signalement}", f"SELECT max(id) FROM {signalement}", f"SELECT max(id) FROM {zone}", f"SELECT max(decide_le) FROM {zone}"),
        (f"SELECT decision, count(*) FROM {zone} GROUP BY decision ORDER BY decision",),
    )
