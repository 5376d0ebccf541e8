"""A real Terrinum server (`terrinum init` + `terrinum serve` in subprocesses) and a real
headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from terrinum.config import data_dir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BIN = Path(sys.executable).parent
E2E_PASSWORD = "mot-de-passe-e2e"
# The day every end-to-end test lives on, whatever the calendar says: the server, its workers,
# the commands and scripts the tests run (horloge/sitecustomize.py) and the tests themselves
# (`e2e_now`) read the clock as this instant plus the real time elapsed since the session began.
E2E_INSTANT = dt.datetime(2027, 3, 15, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
_ANCHOR = time.time()


def e2e_now() -> dt.datetime:
    """Now on the end-to-end clock (Paris time)."""
    return E2E_INSTANT + dt.timedelta(seconds=time.time() - _ANCHOR)


def e2e_today() -> dt.date:
    return e2e_now().date()


def run_cli(env: dict, *args) -> str:
    """A `terrinum` command on the test server's data directory (passwords from the environment)."""
    result = subprocess.run([BIN / "terrinum", *args], env={**env, "TERRINUM_MOT_DE_PASSE": E2E_PASSWORD}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def sign_in(browser, server: str, user: str, landing: str, width: int = 1280, javascript: bool = True):
    """A new browser context of `width` px signed in as `user`, on `landing` (a path): (context, page)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{server}/connexion/?next={landing}")
    page.get_by_label("Identifiant").fill(user)
    page.get_by_label("Mot de passe").fill(E2E_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**{landing}")
    return context, page


def axe_clean(page, width: int | None = None) -> None:
    """axe finds no violation on the page (and, given a width, nothing scrolls sideways).
    Needs JavaScript in the page."""
    import json

    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert violations == [], json.dumps([(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations])
    if width is not None:
        assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _e2e_database_url() -> str | None:
    """A separate PostgreSQL database for the server when the suite runs on PostgreSQL."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    name = f"{cfg['NAME']}_e2e"
    with psycopg.connect(dbname=cfg["NAME"], user=cfg["USER"], password=cfg["PASSWORD"], host=cfg["HOST"], port=cfg["PORT"], autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def server_env(tmp_path_factory, reference_build):
    """Environment of a fresh data directory initialised by the real `terrinum init`."""
    root = tmp_path_factory.mktemp("terrinum-e2e")
    # Reuse the reference cache built for this session instead of recomputing it.
    (root / "cache").symlink_to(data_dir() / "cache", target_is_directory=True)
    env = {**os.environ, "TERRINUM_DATA_DIR": str(root), "TERRINUM_COURRIELS_DOSSIER": str(root / "courriels"),
           "TERRINUM_E2E_HORLOGE": f"{E2E_INSTANT.isoformat()}@{_ANCHOR}",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent / "horloge"), os.environ.get("PYTHONPATH")]))}  # fmt: skip
    env.pop("DJANGO_SETTINGS_MODULE", None)
    db_url = _e2e_database_url()
    if db_url:
        env["DATABASE_URL"] = db_url
    for verb in ("init", "demo"):  # exactly what ./run.sh does before serving
        result = subprocess.run([BIN / "terrinum", verb], env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    # A small registry of places and a place manager's account, through the real CLI.
    from tests.apps.inclusion.factories import place, write_csv

    places = write_csv(root / "lieux.csv", [
        place(id="gueret-mediatheque", horaires="Mo-Su 00:00-24:00"),
        place(id="gueret-france-services", nom="France Services de Guéret", adresse="1 place Bonnyaud", latitude="46.1712", longitude="1.8700", pivot="13002526500013", horaires="Mo-Fr 09:00-12:00", dispositif_programmes_nationaux="France Services"),
        place(id="signy-espace", nom="Espace numérique de Signy", code_insee="08419", code_postal="08460", commune="Signy-l'Abbaye", latitude="49.699", longitude="4.418", adresse="Place de l'Hôtel de ville"),
    ])  # fmt: skip
    for args in (
        ["ingest", "lieux-mediation", str(places)],
        [
            "compte",
            "creer",
            "conseillere",
            "--organisation",
            "Médiathèque du Grand Guéret",
            "--type",
            "lieu",
            "--role",
            "gestionnaire",
            "--lieu",
            "gueret-mediatheque",
        ],
    ):
        result = subprocess.run([BIN / "terrinum", *args], env={**env, "TERRINUM_MOT_DE_PASSE": E2E_PASSWORD}, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr + result.stdout
    return env


def start_server(env: dict, *options: str) -> tuple[subprocess.Popen, str]:
    """The real `terrinum serve` on a free port, once it answers: (process, base URL)."""
    port = _free_port()
    proc = subprocess.Popen([BIN / "terrinum", "serve", "--port", str(port), *options], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=2):
                return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"le serveur n'a pas démarré : {proc.stdout.read().decode()}")
            time.sleep(0.3)


@pytest.fixture(scope="session")
def server(server_env):
    proc, base = start_server(server_env)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium est absent : les tests de bout en bout sont obligatoires en CI")
        pytest.skip("chromium absent (paquet Debian « chromium »)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR")
    pg = context.new_page()
    yield pg
    context.close()
