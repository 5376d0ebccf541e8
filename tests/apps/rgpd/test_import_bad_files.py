"""The RGPD register's JSON import, web and command line, with files that broke it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from typer.testing import CliRunner

from terrinum.cli import app
from tests.test_fuzz_uploads import EXPORT

pytestmark = pytest.mark.django_db


def test_the_rgpd_import_form_answers_a_deep_json_with_a_message(client, rgpd_world):
    """A 100,000-deep JSON gave HTTP 500 on the web and a traceback in the CLI."""
    org, col, users = rgpd_world
    client.force_login(users["gestionnaire"])
    deep = SimpleUploadedFile("registre.json", b"[" * 100_000 + b"]" * 100_000, content_type="application/json")
    response = client.post(f"/rgpd/{col['signy'].pk}/", {"action": "importer", "fichier": deep})
    assert response.status_code == 400 and "imbrication trop profonde" in response.content.decode()
    nul = SimpleUploadedFile("registre.json", EXPORT.replace(b"civil", b"ci\\u0000vil"), content_type="application/json")
    response = client.post(f"/rgpd/{col['signy'].pk}/", {"action": "importer", "fichier": nul})
    assert response.status_code == 400 and "caractère nul" in response.content.decode()


def test_the_rgpd_import_command_answers_a_deep_json_with_a_message(rgpd_world, tmp_path):
    path = tmp_path / "registre.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    r = CliRunner().invoke(app, ["rgpd", "importer", "Commune de Signy-l'Abbaye", str(path), "--compte", "gestionnaire"])
    assert r.exit_code == 1 and "imbrication trop profonde" in r.output, r.output
    assert isinstance(r.exception, SystemExit), r.exception  # a clean exit, no traceback
