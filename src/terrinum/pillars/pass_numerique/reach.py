"""What the Pass numérique reads from the fragility pillar: the people at risk of a
programme's territory, against which its vouchers' reach is counted (per 1,000 people at
risk). The app asks for it through its settings' readings (`terrinum.config.reading`)."""

from __future__ import annotations

from terrinum.pillars import publication
from terrinum.pillars.fragilite.indicators import PILIER as FRAGILITY
from terrinum.warehouse import store


def people_at_risk(niveau: str, code: str) -> dict | None:
    """The fragility index's estimate of the people at risk in a territory (the middle of its
    range) and whether it rests on demonstration values; None when the warehouse or the
    estimate is missing."""
    try:
        with store.reader() as con:
            rows = publication.territory_rows(con, FRAGILITY, niveau, code) if publication.available(con, FRAGILITY) else []
    except store.Unavailable:
        return None
    row = rows[0] if rows else None
    if row is None or row["personnes_a_risque_bas"] is None:
        return None
    low, high = row["personnes_a_risque_bas"], row["personnes_a_risque_haut"]
    return {"personnes": (low + high) / 2, "bas": low, "haut": high, "demo": bool(row["demo"]), "source": row["source"]}
