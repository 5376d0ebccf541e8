"""The real server behind the documented reverse proxy. Login throttling, through the real server (Gunicorn):
every request comes from the proxy's address (127.0.0.1, trusted by default) with the
client's address in X-Forwarded-For. Five wrong passwords from one client lock that client
(and an account attacked from everywhere), never everyone behind the proxy."""

import http.cookiejar
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request

from tests.e2e.conftest import E2E_PASSWORD, run_cli


def _attempt(server: str, username: str, password: str, client: str) -> int:
    """One login through the form (its CSRF token first), as `client` behind the proxy: the status."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    headers = {"X-Forwarded-For": client}
    with opener.open(urllib.request.Request(f"{server}/connexion/", headers=headers)) as page:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())[1]
    body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(f"{server}/connexion/", data=body, headers={**headers, "Referer": f"{server}/connexion/"})
    try:
        with opener.open(request) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_wrong_logins_lock_one_client_and_one_account_not_everyone_behind_the_proxy(server_env, server):
    for name in ("verrou-a", "verrou-b", "verrou-c"):
        run_cli(server_env, "compte", "creer", name, "--organisation", "Mairie de Verrou", "--type", "collectivite", "--role", "membre")
    attacker, colleague, other = "203.0.113.7", "198.51.100.23", "192.0.2.99"
    # one client tries five wrong passwords on five different accounts, writing a new address
    # of its own choosing in front of the proxy's each time: that client is locked...
    for n in range(5):
        assert _attempt(server, f"inconnu-{n}", "mauvais", f"198.51.100.{n}, {attacker}") in (200, 429)
    assert _attempt(server, "verrou-a", E2E_PASSWORD, attacker) == 429
    # ...and nobody else behind the same proxy: a colleague signs in at once
    assert _attempt(server, "verrou-a", E2E_PASSWORD, colleague) == 302
    # an account attacked from five addresses is locked, whoever then tries it
    for n in range(5):
        _attempt(server, "verrou-b", "mauvais", f"203.0.113.{20 + n}")
    assert _attempt(server, "verrou-b", E2E_PASSWORD, other) == 429
    assert _attempt(server, "verrou-c", E2E_PASSWORD, other) == 302  # the address itself is not


def test_the_access_log_of_terrinum_serve_keeps_no_address_nor_query(server_env, tmp_path):
    """`terrinum serve --journal-acces`: method, path, status, size, duration; no address,
    no query string (a searched address), no browser."""
    import time

    from tests.e2e.conftest import BIN, _free_port

    log = tmp_path / "acces.log"
    port = _free_port()
    env = server_env
    proc = subprocess.Popen(
        [BIN / "terrinum", "serve", "--port", str(port), "--workers", "1", "--sans-travaux", "--journal-acces", str(log)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lieux/?q=12+rue+de+la+Paix", timeout=2):
                    break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode() if proc.poll() is not None else "délai"
                time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stdout.close()
    text = log.read_text(encoding="utf-8")
    assert '"GET /lieux/" ' in text
    assert "rue" not in text and "127.0.0.1" not in text and "urllib" not in text.lower()
