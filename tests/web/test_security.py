"""Security headers and the production mode."""

import os
import secrets
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


def test_every_page_sends_a_strict_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def _check_deploy(tmp_path, **env):
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "terrinum.web.settings", "TERRINUM_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
    )


def test_production_mode_passes_djangos_deployment_check(tmp_path):
    """Without it, `check --deploy` gave W004, W008, W012 and W016 and nothing could turn them off."""
    assert _check_deploy(tmp_path).returncode != 0
    ok = _check_deploy(tmp_path, TERRINUM_PRODUCTION="1", TERRINUM_SECRET_KEY=secrets.token_urlsafe(60))
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_production_mode_needs_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TERRINUM_SECRET_KEY"}
    res = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "terrinum.web.settings", "TERRINUM_DATA_DIR": str(tmp_path), "TERRINUM_PRODUCTION": "1"},
        capture_output=True,
        text=True,
    )
    assert res.returncode != 0 and "TERRINUM_SECRET_KEY" in res.stderr
