"""The accompaniment-places section of the territory page and diagnostic report."""

from __future__ import annotations

from django.utils import timezone

from terrinum.apps.inclusion import services as places
from terrinum.apps.inclusion.models import Lieu
from terrinum.pillars.lieux import indicators as accessibility
from terrinum.pillars.maps import child_level, sub_units
from terrinum.svg import fixed_legend, render_map

ACCESS_BINS = [1, 5, 10, 20, 40]  # share of the population beyond 10 km of any place (%)


def compose(ctx) -> dict | None:
    """Places of the registry: nearest ones for a commune; accessibility (population beyond
    5/10/20 km of any place) for the territory and its sub-units."""
    territory, children = ctx.territory, ctx.children
    if territory.niveau == "arrondissement":
        return None
    total = Lieu.objects.count()
    if total == 0:
        return {"vide": True}
    own = accessibility.indicator_rows(territory.niveau, [territory.code])
    out = {"vide": False, "row": own[0].as_dict() if own else None, "seuils": accessibility.THRESHOLDS_KM, "methode": accessibility.METHOD}
    if territory.niveau == "commune":
        mairie = territory.mairie or {}
        lat, lon = (mairie.get("latitude"), mairie.get("longitude")) if mairie.get("latitude") is not None else (territory.latitude, territory.longitude)
        now = timezone.localtime()
        out["proches"] = [{"lieu": f.lieu, "distance_km": f.distance_km, "ouvert": f.ouvert} for f in places.nearest(lat, lon, now, limit=5)]
        return out
    level = child_level(ctx)
    if level:
        rows = {r.code: r.as_dict() for r in accessibility.indicator_rows(level, [c.code for c in children])}
        enfants, features = sub_units(ctx, rows, "part_au_dela_10km", ACCESS_BINS)
        out["carte"] = render_map(features, f"Part de la population à plus de 10 km d'un lieu d'accompagnement, sous-territoires {territory.de_nom}")
        out["legende"] = fixed_legend(ACCESS_BINS, " %")
        out["plus_eloignes"] = sorted((e for e in enfants if e["row"] and e["row"]["pop_au_dela_10km"]), key=lambda e: -e["row"]["pop_au_dela_10km"])[:10]
    return out


def stamp():
    """Places added, deleted or edited."""
    from terrinum.apps.inclusion.models import LieuChangement
    from terrinum.pillars import Stamp, model_table

    return Stamp(
        (f"SELECT count(*) FROM {model_table(Lieu)}", f"SELECT max(id) FROM {model_table(Lieu)}", f"SELECT max(id) FROM {model_table(LieuChangement)}")
    )
