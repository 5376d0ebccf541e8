"""Server errors leave a trace (traceback to standard error and to journaux/erreurs.log in
the data directory) and no personal data; the access log, on demand, says nothing about the
person either."""

import logging

import pytest
from django.test import Client

from terrinum import journaux
from terrinum.config import data_dir

pytestmark = pytest.mark.django_db


def _flush():
    for handler in logging.getLogger("django.request").handlers:
        handler.flush()


def test_a_server_error_is_logged_with_its_traceback_and_no_personal_data(monkeypatch):
    from terrinum.territories import services

    def broken(q):
        raise RuntimeError(f"panne en cherchant {q} pour jean.dupont@example.org, tél. 06 12 34 56 78, password=secret123")

    monkeypatch.setattr(services, "resolve", broken)
    response = Client(raise_request_exception=False).get("/recherche", {"q": "marie.martin@example.fr"})
    assert response.status_code == 500
    _flush()
    written = (data_dir() / "journaux" / "erreurs.log").read_text(encoding="utf-8")
    assert "ERROR [django.request] Internal Server Error: /recherche" in written
    assert "Traceback (most recent call last)" in written and "RuntimeError: panne en cherchant <courriel>" in written
    for personal in ("marie.martin@example.fr", "jean.dupont@example.org", "06 12 34 56 78", "secret123"):
        assert personal not in written, personal
    # the same records go to standard error, through the same filter
    handlers = logging.getLogger("django.request").handlers
    stderr = [h for h in handlers if isinstance(h, journaux.StandardError)]
    assert stderr and all(any(isinstance(f, journaux.SansDonneesPersonnelles) for f in h.filters) for h in stderr)


def test_masks():
    assert journaux.mask("Authorization: Bearer abc.DEF-123") == "Authorization: Bearer <jeton>"
    assert journaux.mask("{'mot_de_passe': 'x1'} +33 6 12 34 56 78 0555123456") == "{'mot_de_passe': '<masqué>'} <téléphone> <téléphone>"
    assert journaux.mask("23096 Guéret, 2024T4, 1 234 567 locaux") == "23096 Guéret, 2024T4, 1 234 567 locaux"  # figures stay
