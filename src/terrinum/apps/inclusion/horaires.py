"""Opening hours in French, from the OpenStreetMap syntax the national standard uses
(« Mo-Su 00:00-24:00 » → « tous les jours, 24 h/24 » ; « Tu-Fr 10:00-12:00,14:00-18:00;
Sa 10:00-17:00 » → « du mardi au vendredi, 10 h–12 h et 14 h–18 h ; le samedi, 10 h–17 h »).
The common forms only (days, day ranges and lists, time ranges, « off », public holidays);
anything else is given back as written, for the page to show as it is."""

from __future__ import annotations

import re

DAYS = {"Mo": "lundi", "Tu": "mardi", "We": "mercredi", "Th": "jeudi", "Fr": "vendredi", "Sa": "samedi", "Su": "dimanche"}
ORDER = list(DAYS)
TIME = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
DAY_PART = re.compile(r"^(?:(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?)(?:,(?:(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?))*$")


def _hour(h: str, m: str) -> str:
    return f"{int(h)} h" if m == "00" else f"{int(h)} h {m}"


def _days(part: str) -> str:
    pieces = []
    for item in part.split(","):
        if item == "PH":
            pieces.append("les jours fériés")
        elif "-" in item:
            a, b = item.split("-")
            if (a, b) == ("Mo", "Su"):
                return "tous les jours"
            if ORDER.index(b) - ORDER.index(a) == 1:
                pieces.append(f"le {DAYS[a]} et le {DAYS[b]}")
            else:
                pieces.append(f"du {DAYS[a]} au {DAYS[b]}")
        else:
            pieces.append(f"le {DAYS[item]}")
    return " et ".join(pieces) if len(pieces) <= 2 else ", ".join(pieces[:-1]) + " et " + pieces[-1]


def _times(part: str) -> str | None:
    if part == "off":
        return "fermé"
    spans = []
    for span in part.split(","):
        m = TIME.match(span)
        if not m:
            return None
        if span in ("00:00-24:00",):
            spans.append("24 h/24")
        else:
            spans.append(f"{_hour(m[1], m[2])}–{_hour(m[3], m[4])}")
    return " et ".join(spans)


def in_french(text: str | None) -> str | None:
    """The opening hours in French, or None when the text is not in the common forms."""
    if not text or not text.strip():
        return None
    if text.strip() == "24/7":
        return "Tous les jours, 24 h/24"
    rules = []
    for rule in (r.strip() for r in text.split(";")):
        if not rule:
            continue
        days, _, times = rule.partition(" ")
        if not DAY_PART.match(days):
            days, times = "Mo-Su", rule  # « 09:00-18:00 »: every day
        said = _times(times.strip())
        if said is None:
            return None
        rules.append(f"{_days(days)}, {said}")
    if not rules:
        return None
    out = " ; ".join(rules)
    return out[0].upper() + out[1:]
