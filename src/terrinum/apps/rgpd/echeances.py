"""Legal deadlines of the RGPD, computed as the law counts them (docs/rgpd.md, "Délais").

- A rights request (art. 12.3) is answered within one month of receipt, extendable by two
  further months when the person is told within the first month; the extended deadline is
  the first deadline plus two months (counted from the first deadline as it falls, working
  day included, by the same rules). Periods are counted by
  Regulation (EEC, Euratom) No 1182/71, as the EDPB guidelines 01/2022 on the right of access
  apply it: the day of receipt does not count (art. 3.1); a period in months ends on the same
  date of the last month, or on that month's last day when it has no such date (art. 3.2.c:
  received 31 January 2025, due 28 February 2025); a period ending on a Saturday, a Sunday or a
  public holiday ends on the next working day (art. 3.4). The period ends with the last hour
  of its last day: 23:59:59, the collectivité's local time (Europe/Paris in mainland France,
  the overseas départements' own time zones: a request received in Guadeloupe ends at
  midnight in Guadeloupe).
- A breach is notified to the CNIL within 72 hours of becoming aware of it (art. 33.1):
  real elapsed hours, counted in UTC, so that a clock change in between moves the local
  time shown, not the moment. Decision: 1182/71 would start an hour period at the next full
  hour (art. 3.1); the deadline here starts at the moment itself, which never ends later.

Public holidays are the French ones (the `holidays` package), with those of Alsace-Moselle
(Good Friday, 26 December) for its collectivités (départements 57, 67, 68) and those of the
overseas départements for theirs: the holidays "of the place where the action is to be taken".
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

PARIS = ZoneInfo("Europe/Paris")
# The overseas départements' time zones (the others: Paris).
ZONES = {"971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne", "974": "Indian/Reunion", "976": "Indian/Mayotte"}
REQUEST_MONTHS = 1
EXTENSION_MONTHS = 2
BREACH_HOURS = 72
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]

# Département code -> subdivision of holidays.France with its own public holidays.
SUBDIVISIONS = {"57": "57", "67": "6AE", "68": "6AE", "971": "971", "972": "972", "973": "973", "974": "974", "976": "976"}

RULE_REQUEST = (
    "RGPD art. 12.3 : un mois à compter de la réception ; décompte du règlement (CEE, Euratom) "
    "n° 1182/71 : le jour de réception ne compte pas, le délai finit le même quantième du mois "
    "suivant (ou le dernier jour de ce mois), reporté au premier jour ouvrable s'il tombe un samedi, "
    "un dimanche ou un jour férié, à 23 h 59 min 59 s (heure locale de la collectivité)."
)
RULE_EXTENSION = (
    "RGPD art. 12.3 : délai prolongé de deux mois, comptés à partir de la première échéance (celle d'un "
    "mois, report au jour ouvrable compris), la personne ayant été informée de la prolongation et de ses "
    "motifs dans le premier mois ; même décompte (règlement n° 1182/71)."
)
RULE_BREACH = (
    "RGPD art. 33.1 : notification à la CNIL dans les 72 heures après en avoir pris connaissance ; "
    "heures réellement écoulées (un changement d'heure déplace l'heure affichée, pas l'instant)."
)


class DeadlineError(ValueError):
    """A moment that cannot be read, said in French."""


@dataclass
class Deadline:
    due: dt.datetime  # aware, Europe/Paris
    rule: str
    steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"echeance": self.due.isoformat(), "regle": self.rule, "etapes": self.steps}


def moment(text: str) -> dt.datetime:
    """An aware moment from ISO 8601 text. Without an offset the time is Paris time, and an
    hour that does not exist there (spring clock change) or exists twice (autumn) is refused,
    naming the offsets to choose from."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise DeadlineError(f"« {text} » n'est pas une date et heure AAAA-MM-JJTHH:MM") from exc
    return aware(value)


def aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        return value.astimezone(PARIS)
    first, second = value.replace(tzinfo=PARIS, fold=0), value.replace(tzinfo=PARIS, fold=1)
    if first.utcoffset() != second.utcoffset():
        round_trip = first.astimezone(dt.UTC).astimezone(PARIS).replace(tzinfo=None)
        if round_trip != value:
            raise DeadlineError(f"{value:%d/%m/%Y %H:%M} n'existe pas à Paris (passage à l'heure d'été) : précisez le décalage, +01:00 ou +02:00")
        raise DeadlineError(f"{value:%d/%m/%Y %H:%M} existe deux fois à Paris (passage à l'heure d'hiver) : précisez le décalage, +02:00 ou +01:00")
    return first


@functools.lru_cache(maxsize=256)
def public_holidays(year: int, departement: str | None = None) -> dict[dt.date, str]:
    """The public holidays of `year` and the next (a deadline moved past 31 December), by
    date, named in French; built once per year and subdivision (a dashboard computes hundreds
    of deadlines)."""
    found = holidays.France(years=(year, year + 1), subdiv=SUBDIVISIONS.get(departement or ""), language="fr")
    return dict(found.items())


def _working_day(day: dt.date, departement: str | None, steps: list[str]) -> dt.date:
    off = public_holidays(day.year, departement)
    while day.weekday() >= 5 or day in off:
        why = off[day] if day in off else DAYS[day.weekday()]
        nxt = day + dt.timedelta(days=1)
        steps.append(f"le {day:%d/%m/%Y} est un jour non ouvrable ({why}) : report au {nxt:%d/%m/%Y}")
        day = nxt
    return day


def zone(departement: str | None) -> ZoneInfo:
    """The collectivité's time zone (Paris, or its overseas département's)."""
    return ZoneInfo(ZONES[departement]) if departement in ZONES else PARIS


def _months_later(day: dt.date, months: int, steps: list[str]) -> dt.date:
    last = day + relativedelta(months=months)
    if last.day != day.day:
        steps.append(f"{day:%d/%m/%Y} + {months} mois : pas de {day.day} en {last:%m/%Y}, dernier jour du mois : {last:%d/%m/%Y}")
    else:
        steps.append(f"{day:%d/%m/%Y} + {months} mois : {last:%d/%m/%Y}")
    return last


def request_deadline(received: dt.datetime, extended: bool = False, departement: str | None = None) -> Deadline:
    """When a rights request received at `received` must be answered (module docstring)."""
    tz = zone(departement)
    received = aware(received).astimezone(tz)
    start = received.date()
    where = "heure de Paris" if tz is PARIS else f"heure locale, {ZONES[departement]}"
    steps = [f"reçue le {start:%d/%m/%Y} ({where}) ; ce jour ne compte pas"]
    last = _working_day(_months_later(start, REQUEST_MONTHS, steps), departement, steps)
    if extended:
        steps.append(f"première échéance le {last:%d/%m/%Y} ; prolongation de {EXTENSION_MONTHS} mois à partir de cette date")
        last = _working_day(_months_later(last, EXTENSION_MONTHS, steps), departement, steps)
    due = dt.datetime.combine(last, dt.time(23, 59, 59), tzinfo=tz)
    return Deadline(due, RULE_EXTENSION if extended else RULE_REQUEST, steps)


def extension_allowed(received: dt.datetime, told: dt.datetime, departement: str | None = None) -> bool:
    """Whether the person was told of the extension within the first month."""
    return aware(told) <= request_deadline(received, departement=departement).due


def breach_deadline(aware_at: dt.datetime, departement: str | None = None) -> Deadline:
    """When the CNIL must be notified of a breach the controller became aware of at `aware_at`
    (shown in the collectivité's local time)."""
    tz = zone(departement)
    start = aware(aware_at).astimezone(tz)
    due = (start.astimezone(dt.UTC) + dt.timedelta(hours=BREACH_HOURS)).astimezone(tz)
    steps = [f"connue le {start:%d/%m/%Y à %H:%M} (UTC{start:%z}) + {BREACH_HOURS} heures écoulées : {due:%d/%m/%Y à %H:%M} (UTC{due:%z})"]
    if start.utcoffset() != due.utcoffset():
        steps.append("l'heure a changé entre les deux : l'heure affichée se décale d'une heure, le délai reste de 72 heures")
    return Deadline(due, RULE_BREACH, steps)
