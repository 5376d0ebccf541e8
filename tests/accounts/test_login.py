"""Logins are throttled per account and per address (django-axes), passwords pass Django's
validators on every path, and logins are kept in an access log."""

import pytest
from axes.models import AccessLog
from django.contrib.auth.models import User
from typer.testing import CliRunner

from terrinum.cli import app

pytestmark = pytest.mark.django_db
GOOD = "une-phrase-de-passe-longue"


@pytest.fixture
def agent():
    return User.objects.create_user("agent", password=GOOD)


def _login(client, password, username="agent", url="/connexion/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR="192.0.2.10")


def test_five_failures_lock_the_account_even_for_the_right_password(client, agent):
    for _ in range(4):
        assert _login(client, "mauvais").status_code == 200  # the form again, with its error
    assert _login(client, "mauvais").status_code == 429  # the fifth failure locks
    locked = _login(client, GOOD)
    assert locked.status_code == 429 and "Connexion suspendue" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_throttled_too(client, agent):
    agent.is_staff = agent.is_superuser = True
    agent.save()
    for _ in range(5):
        _login(client, "mauvais", url="/admin/login/")
    assert _login(client, GOOD, url="/admin/login/").status_code == 429


def test_a_success_is_logged_and_resets_the_count(client, agent):
    for _ in range(3):
        _login(client, "mauvais")
    assert _login(client, GOOD).status_code == 302
    assert AccessLog.objects.filter(username="agent").exists()
    client.logout()
    for _ in range(3):
        _login(client, "mauvais")
    assert _login(client, GOOD).status_code == 302  # 3 + 3 failures, not 6: reset on success


def test_the_cli_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("TERRINUM_MOT_DE_PASSE", "a")
    r = CliRunner().invoke(app, ["compte", "creer", "faible", "--organisation", "Mairie d'essai"])
    assert r.exit_code == 1 and "mot de passe refusé" in r.output
    assert not User.objects.filter(username="faible").exists()


def test_login_logs_are_purged_after_their_retention(client, agent, time_machine):
    """On an injected clock: a login on 1 March 2026, another 400 days later; the purge keeps
    365 days."""
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False)
    assert _login(client, GOOD).status_code == 302
    client.logout()
    time_machine.move_to(dt.datetime(2027, 4, 5, 9, tzinfo=dt.UTC), tick=False)
    assert _login(client, GOOD).status_code == 302  # a recent one, kept
    r = CliRunner().invoke(app, ["compte", "purger-journaux", "--jours", "365"])
    assert r.exit_code == 0, r.output
    assert AccessLog.objects.count() == 1 and "1 connexions" in r.output


def test_logs_do_not_name_who_failed_to_log_in(client, agent, caplog):
    """No personal data in the server's logs: the lockout warning masks account and address."""
    for _ in range(5):
        _login(client, "mauvais")
    assert "Locking out" in caplog.text
    assert "agent" not in caplog.text and "192.0.2.10" not in caplog.text


def test_the_client_address_is_read_from_the_trusted_proxy_s_header_only(rf, monkeypatch):
    from terrinum.accounts import addresses

    def ask(peer, forwarded=None):
        meta = {"REMOTE_ADDR": peer} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})
        return addresses.client_address(rf.get("/", **meta))

    monkeypatch.setenv("TERRINUM_MANDATAIRES", "127.0.0.1, 10.0.0.0/8")
    assert ask("127.0.0.1") == "127.0.0.1"  # no proxy header: the peer
    assert ask("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert ask("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.1.2.3") == "203.0.113.7"  # the right-most untrusted hop
    assert ask("127.0.0.1", "10.1.2.3, 10.0.0.4") == "10.1.2.3"  # only trusted hops: the left-most
    assert ask("127.0.0.1", "pas-une-adresse, 203.0.113.7") == "203.0.113.7"
    assert ask("127.0.0.1", "203.0.113.7, pas-une-adresse") == "127.0.0.1"  # nothing left of a malformed hop is believed
    assert ask("127.0.0.1", "[2001:db8::5]:4431") == "2001:db8::5"
    assert ask("192.0.2.50", "203.0.113.7") == "192.0.2.50"  # a header from an untrusted peer is ignored
    monkeypatch.setenv("TERRINUM_MANDATAIRES", "*")
    assert ask("192.0.2.50", "203.0.113.7") == "203.0.113.7"


def test_behind_the_proxy_a_locked_client_does_not_lock_the_others(client, agent, monkeypatch):
    monkeypatch.setenv("TERRINUM_MANDATAIRES", "127.0.0.1")
    for _ in range(5):
        client.post("/connexion/", {"username": "personne", "password": "mauvais"}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client.post("/connexion/", {"username": "agent", "password": GOOD}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert client.post("/connexion/", {"username": "agent", "password": GOOD}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.23").status_code == 302
