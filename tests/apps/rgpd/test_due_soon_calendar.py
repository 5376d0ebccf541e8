"""The DPO's week (« Demandes de droits à traiter dans les 7 jours, ou en retard ») swept over
a whole year of injected dates: the clock is moved by time-machine, never read from today, and
every answer is compared with deadlines recomputed here, apart from apps/rgpd/echeances.py
(Easter by dateutil, the French public holidays listed by hand)."""

import datetime as dt

import pytest
import time_machine
from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

from terrinum.apps.rgpd import services
from terrinum.apps.rgpd.echeances import PARIS
from terrinum.apps.rgpd.models import Demande

pytestmark = pytest.mark.django_db

YEAR = 2027


def french_public_holidays(year: int) -> set[dt.date]:
    """Metropolitan France outside Alsace-Moselle (the Ardennes), as the Code du travail lists them."""
    e = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    return {dt.date(year, m, d) for m, d in fixed} | {e + dt.timedelta(days=1), e + dt.timedelta(days=39), e + dt.timedelta(days=50)}


OFF = french_public_holidays(YEAR - 1) | french_public_holidays(YEAR) | french_public_holidays(YEAR + 1)


def due(received: dt.datetime) -> dt.datetime:
    """One month after the day of receipt (its last day when the month is shorter), moved to
    the next working day, at the end of that day, Paris time."""
    day = received.astimezone(PARIS).date() + relativedelta(months=1)  # relativedelta clamps 31/01 to 28/02
    while day.weekday() >= 5 or day in OFF:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=PARIS)


def test_a_year_of_days_puts_exactly_the_requests_due_within_seven_days_in_the_dpo_s_week(rgpd_world):
    org, col, users = rgpd_world
    signy = col["signy"]
    first, last = dt.date(YEAR - 1, 11, 20), dt.date(YEAR, 12, 31)
    received = [dt.datetime.combine(first + dt.timedelta(days=n), dt.time(9), tzinfo=PARIS) for n in range((last - first).days + 1)]
    Demande.objects.bulk_create(Demande(collectivite=signy, droit="acces", recue_le=r) for r in received)
    requests = [(d.pk, d.recue_le) for d in Demande.objects.filter(collectivite=signy)]
    assert len(requests) == len(received)
    checked = 0
    for n in range(365):
        day = dt.date(YEAR, 1, 1) + dt.timedelta(days=n)
        now = dt.datetime.combine(day, dt.time(0, 30) if n % 2 else dt.time(18), tzinfo=PARIS)
        # requests received more than 40 days ago were answered: the week stays small
        Demande.objects.filter(collectivite=signy, recue_le__lt=now - dt.timedelta(days=40)).update(statut=Demande.REPONDUE)
        with time_machine.travel(now, tick=False):
            week = services.due_soon([signy])  # no clock passed: the injected one is read
        # aware arithmetic in UTC: real elapsed time (a clock change may lie in between)
        utc = now.astimezone(dt.UTC)
        shown = {item.objet.pk: item for item in week["demandes"] if item.objet.recue_le <= now}
        expected = {pk for pk, r in requests if now - dt.timedelta(days=40) <= r <= now and due(r) <= utc + dt.timedelta(days=7)}
        assert set(shown) == expected, now
        assert [item.echeance for item in week["demandes"]] == sorted(item.echeance for item in week["demandes"]), now
        assert all(item.reste == due(item.objet.recue_le) - utc for item in shown.values()), now  # counted from the injected moment
        checked += 1
    moved = sum(due(r).date() != r.date() + relativedelta(months=1) for r in received)
    assert checked == 365 and moved > 100  # the sweep did cross weekends and public holidays
