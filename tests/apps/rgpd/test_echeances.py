"""RGPD deadlines. Every expected date below was worked out by hand from the rules cited in
docs/rgpd.md (RGPD art. 12.3 and 33.1; Regulation 1182/71 art. 3), with a calendar: the
received date, the same date one month later (or the month's last day), then the next working
day when that day is a Saturday, a Sunday or a French public holiday."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from terrinum.apps.rgpd import echeances

# received (Paris time unless an offset is given) -> last day to answer, and why
REQUESTS = [
    # every French public holiday of 2024-2027, as the day of receipt
    ("2024-01-01T09:00", "2024-02-01"),  # Jour de l'an; 1 Feb is a Thursday
    ("2024-04-01T09:00", "2024-05-02"),  # Lundi de Pâques; 1 May is the Fête du Travail
    ("2024-05-01T09:00", "2024-06-03"),  # 1 June is a Saturday
    ("2024-05-08T09:00", "2024-06-10"),  # 8 June is a Saturday
    ("2024-05-09T09:00", "2024-06-10"),  # Ascension; 9 June is a Sunday
    ("2024-05-20T09:00", "2024-06-20"),  # Lundi de Pentecôte; a Thursday
    ("2024-07-14T09:00", "2024-08-14"),  # a Wednesday, the day before the Assomption
    ("2024-08-15T09:00", "2024-09-16"),  # 15 September is a Sunday
    ("2024-11-01T09:00", "2024-12-02"),  # 1 December is a Sunday
    ("2024-11-11T09:00", "2024-12-11"),  # a Wednesday
    ("2024-12-25T09:00", "2025-01-27"),  # 25 January 2025 is a Saturday
    ("2025-01-01T09:00", "2025-02-03"),  # 1 February is a Saturday
    ("2025-04-21T09:00", "2025-05-21"),  # Lundi de Pâques; a Wednesday
    ("2025-05-01T09:00", "2025-06-02"),  # 1 June is a Sunday
    ("2025-05-08T09:00", "2025-06-10"),  # 8 June a Sunday, 9 June the Lundi de Pentecôte
    ("2025-05-29T09:00", "2025-06-30"),  # Ascension; 29 June is a Sunday
    ("2025-06-09T09:00", "2025-07-09"),  # Lundi de Pentecôte; a Wednesday
    ("2025-07-14T09:00", "2025-08-14"),  # a Thursday
    ("2025-08-15T09:00", "2025-09-15"),  # a Monday
    ("2025-11-01T09:00", "2025-12-01"),  # received on a Saturday; 1 December a Monday
    ("2025-11-11T09:00", "2025-12-11"),  # a Thursday
    ("2025-12-25T09:00", "2026-01-26"),  # 25 January 2026 is a Sunday
    ("2026-01-01T09:00", "2026-02-02"),  # 1 February is a Sunday
    ("2026-04-06T09:00", "2026-05-06"),  # Lundi de Pâques; a Wednesday
    ("2026-05-01T09:00", "2026-06-01"),  # a Monday
    ("2026-05-08T09:00", "2026-06-08"),  # a Monday
    ("2026-05-14T09:00", "2026-06-15"),  # Ascension; 14 June is a Sunday
    ("2026-05-25T09:00", "2026-06-25"),  # Lundi de Pentecôte; a Thursday
    ("2026-07-14T09:00", "2026-08-14"),  # a Friday
    ("2026-08-15T09:00", "2026-09-15"),  # received on a Saturday; a Tuesday
    ("2026-11-01T09:00", "2026-12-01"),  # received on a Sunday; a Tuesday
    ("2026-11-11T09:00", "2026-12-11"),  # a Friday
    ("2026-12-25T09:00", "2027-01-25"),  # a Monday
    ("2027-01-01T09:00", "2027-02-01"),  # a Monday
    ("2027-03-29T09:00", "2027-04-29"),  # Lundi de Pâques; a Thursday
    ("2027-05-01T09:00", "2027-06-01"),  # received on a Saturday; a Tuesday
    ("2027-05-06T09:00", "2027-06-07"),  # Ascension; 6 June is a Sunday
    ("2027-05-08T09:00", "2027-06-08"),  # a Tuesday
    ("2027-05-17T09:00", "2027-06-17"),  # Lundi de Pentecôte; a Thursday
    ("2027-07-14T09:00", "2027-08-16"),  # 14 August a Saturday, 15 August a Sunday and the Assomption
    ("2027-08-15T09:00", "2027-09-15"),  # a Wednesday
    ("2027-11-01T09:00", "2027-12-01"),  # a Wednesday
    ("2027-11-11T09:00", "2027-12-13"),  # 11 December is a Saturday
    ("2027-12-25T09:00", "2028-01-25"),  # a Tuesday
    # month ends and leap years
    ("2025-01-31T10:00", "2025-02-28"),  # no 31 February: the month's last day (the EDPB's example)
    ("2024-01-31T10:00", "2024-02-29"),  # leap year
    ("2023-01-31T10:00", "2023-02-28"),
    ("2024-02-29T10:00", "2024-03-29"),  # Good Friday: a working day outside Alsace-Moselle
    ("2024-03-31T10:00", "2024-04-30"),
    # deadlines falling on holidays, one after the other
    ("2025-04-01T10:00", "2025-05-02"),  # 1 May
    ("2026-04-25T10:00", "2026-05-26"),  # Lundi de Pentecôte
    ("2027-02-28T10:00", "2027-03-30"),  # a Sunday, then the Lundi de Pâques
    ("2025-11-25T10:00", "2025-12-26"),  # Noël
    ("2025-03-01T10:00", "2025-04-01"),  # received on a Saturday
    # clock changes, and moments given in another offset
    ("2025-03-30T10:00+02:00", "2025-04-30"),  # the day of the spring change
    ("2025-09-26T10:00", "2025-10-27"),  # 26 October: a Sunday, and the autumn change
    ("2025-10-26T10:00", "2025-11-26"),  # received the day of the autumn change
    ("2025-01-31T23:30:00+00:00", "2025-03-03"),  # 1 February 00:30 in Paris; 1 March a Saturday
]


@pytest.mark.parametrize(("received", "due"), REQUESTS)
def test_a_rights_request_is_due_one_month_later_on_a_working_day(received, due):
    deadline = echeances.request_deadline(echeances.moment(received))
    assert deadline.due.date().isoformat() == due
    assert deadline.due.time() == dt.time(23, 59, 59) and deadline.due.tzinfo is echeances.PARIS
    assert "1182/71" in deadline.rule and "12.3" in deadline.rule


def test_the_offset_of_the_deadline_is_the_one_of_its_day():
    assert echeances.request_deadline(echeances.moment("2025-09-26T10:00")).due.isoformat() == "2025-10-27T23:59:59+01:00"
    assert echeances.request_deadline(echeances.moment("2025-03-30T10:00+02:00")).due.isoformat() == "2025-04-30T23:59:59+02:00"


@pytest.mark.parametrize(
    ("received", "departement", "due"),
    [
        ("2024-02-29T10:00", "57", "2024-04-02"),  # Good Friday in Moselle, then a weekend, then the Lundi de Pâques
        ("2024-02-29T10:00", "08", "2024-03-29"),
        ("2025-11-25T10:00", "67", "2025-12-29"),  # Noël, then the Saint-Étienne in Alsace, then a weekend
        ("2025-11-25T10:00", "68", "2025-12-29"),
        ("2025-11-25T10:00", "23", "2025-12-26"),
    ],
)
def test_the_holidays_are_those_of_the_collectivite(received, departement, due):
    assert echeances.request_deadline(echeances.moment(received), departement=departement).due.date().isoformat() == due


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2025-01-31T10:00", "2025-04-28"),  # first deadline 28/02 (no 31 February), + 2 months: 28/04 (not 30/04)
        ("2024-11-30T10:00", "2025-02-28"),  # 30/12, + 2 months: no 30 February, 28/02
        ("2024-12-31T10:00", "2025-03-31"),  # 31/01, + 2 months: 31/03
        ("2025-02-01T10:00", "2025-05-05"),  # 01/03 a Saturday: first deadline 03/03; + 2 months: 03/05 a Saturday, 05/05
    ],
)
def test_an_extended_request_is_due_two_months_after_the_first_deadline(received, due):
    deadline = echeances.request_deadline(echeances.moment(received), extended=True)
    assert deadline.due.date().isoformat() == due and "deux mois" in deadline.rule


def test_an_extension_must_be_told_within_the_first_month():
    received = echeances.moment("2025-01-31T10:00")
    assert echeances.extension_allowed(received, echeances.moment("2025-02-28T23:00"))
    assert not echeances.extension_allowed(received, echeances.moment("2025-03-01T08:00"))


BREACHES = [
    ("2025-03-28T10:00+01:00", "2025-03-31T11:00:00+02:00"),  # across the spring change: 72 real hours
    ("2025-10-24T10:00", "2025-10-27T09:00:00+01:00"),  # across the autumn change
    ("2025-05-01T12:00", "2025-05-04T12:00:00+02:00"),  # a holiday and a Sunday: hours are not moved
    ("2024-02-27T18:30", "2024-03-01T18:30:00+01:00"),  # 29 February counted
    ("2025-10-26T02:30+01:00", "2025-10-29T02:30:00+01:00"),  # the second 02:30 of that night
    ("2025-10-26T02:30+02:00", "2025-10-29T01:30:00+01:00"),  # the first one, an hour earlier
    ("2024-12-31T23:00:00+00:00", "2025-01-04T00:00:00+01:00"),
]


@pytest.mark.parametrize(("known", "due"), BREACHES)
def test_a_breach_is_notified_within_72_real_hours(known, due):
    deadline = echeances.breach_deadline(echeances.moment(known))
    assert deadline.due.isoformat() == due and "33.1" in deadline.rule
    assert deadline.due.astimezone(dt.UTC) - echeances.moment(known).astimezone(dt.UTC) == dt.timedelta(hours=72)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-03-30T02:30", "n'existe pas"),  # spring change: 02:00 -> 03:00
        ("2025-10-26T02:30", "existe deux fois"),  # autumn change: 03:00 -> 02:00
        ("30/03/2025", "AAAA-MM-JJ"),
    ],
)
def test_moments_that_cannot_be_read_are_refused_clearly(text, message):
    with pytest.raises(echeances.DeadlineError, match=message):
        echeances.moment(text)


def test_the_cli_prints_the_deadline_the_app_uses():
    from terrinum.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["rgpd", "echeance", "--type", "demande", "--depuis", "2025-01-31T10:00", "--format", "json"])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.output)
    assert answer["echeance"] == "2025-02-28T23:59:59+01:00" and "1182/71" in answer["regle"]
    out = runner.invoke(app, ["rgpd", "echeance", "--type", "demande", "--depuis", "2025-01-31T10:00", "--prolongation", "--format", "json"])
    assert json.loads(out.output)["echeance"] == "2025-04-28T23:59:59+02:00"
    out = runner.invoke(app, ["rgpd", "echeance", "--type", "violation", "--depuis", "2025-03-28T10:00", "--format", "json"])
    assert json.loads(out.output)["echeance"] == "2025-03-31T11:00:00+02:00"
    text = runner.invoke(app, ["rgpd", "echeance", "--type", "demande", "--depuis", "2025-05-08T09:00"])
    assert text.exit_code == 0 and "10/06/2025" in text.output and "Lundi de Pentecôte" in text.output
    wrong = runner.invoke(app, ["rgpd", "echeance", "--type", "violation", "--depuis", "2025-03-30T02:30"])
    assert wrong.exit_code != 0 and "n'existe pas" in wrong.output
    wrong = runner.invoke(app, ["rgpd", "echeance", "--type", "violation", "--depuis", "2025-03-28", "--prolongation"])
    assert wrong.exit_code != 0 and "demande" in wrong.output


def test_an_overseas_collectivite_s_deadline_ends_at_its_own_midnight():
    """Received at 20:00 in Guadeloupe on 31 January (01:00 on 1 February in Paris): the day
    of receipt is Guadeloupe's, and the deadline ends at 23:59:59 there."""
    received = dt.datetime(2025, 1, 31, 20, 0, tzinfo=ZoneInfo("America/Guadeloupe"))
    deadline = echeances.request_deadline(received, departement="971")
    assert deadline.due.isoformat() == "2025-02-28T23:59:59-04:00" and "America/Guadeloupe" in deadline.steps[0]
    assert echeances.request_deadline(received, departement="23").due.isoformat() == "2025-03-03T23:59:59+01:00"  # read in Paris: 1 February
    breach = echeances.breach_deadline(received, departement="974")
    assert breach.due.isoformat() == "2025-02-04T04:00:00+04:00"  # 72 hours, shown in La Réunion's time
