"""Proofs: a document attached to a collectivité, an activity or an action, its type read from
its content, 5 MB at most, checked by the DPO only, read by the collectivité's readers only,
every deposit and check in the journal."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
import time_machine

from terrinum.apps.rgpd import preuves, services
from terrinum.apps.rgpd.models import Activite, Trace
from terrinum.apps.rgpd.services import Refused

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _clock():
    """Every test runs on 1 June 2026 (the pieces' dates are judged against it)."""
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), tick=False):
        yield


def _odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def test_a_proof_is_checked_by_content_and_by_the_dpo(rgpd_world, client):
    org, col, users = rgpd_world
    c = col["signy"]
    services.duplicate("etat-civil", [c], users["dpo"])
    a = Activite.objects.get(collectivite=c)
    made = preuves.add(c, users["gestionnaire"], "contrat", "contrat-editeur.pdf", PDF, dt.date(2026, 2, 1), activite=a)
    assert (made.type_mime, made.activite, made.verifiee_le) == ("application/pdf", a, None)
    assert preuves.add(c, users["gestionnaire"], "charte", "charte.odt", _odt(), dt.date(2026, 2, 1)).type_mime == "application/vnd.oasis.opendocument.text"
    for content, said in ((b"MZ\x90\x00", "PDF, PNG, JPEG ou document OpenDocument"), (b"", "fichier vide"), (PDF + b"0" * (5 * 1024 * 1024), "au plus 5 Mo")):
        with pytest.raises(Refused, match=said):
            preuves.add(c, users["gestionnaire"], "contrat", "x.pdf", content, dt.date(2026, 2, 1))
    with pytest.raises(Refused, match="dans le futur"):
        preuves.add(c, users["gestionnaire"], "contrat", "x.pdf", PDF, dt.date(2026, 6, 3))
    with pytest.raises(Refused):
        preuves.add(col["gueret"], users["gestionnaire"], "contrat", "x.pdf", PDF, dt.date(2026, 2, 1))  # not her collectivité
    with pytest.raises(Refused, match="seul le DPO"):
        preuves.verify(made, users["gestionnaire"])
    preuves.verify(made, users["dpo"])
    assert made.verifiee_par == users["dpo"] and Trace.objects.filter(collectivite=c, objet="preuve").count() == 3
    for who, status in (("gestionnaire", 200), ("lecteur", 200), ("dpo-creuse", 404)):
        client.force_login(users[who])
        assert client.get(f"/rgpd/preuves/{made.pk}").status_code == status, who
    client.force_login(users["gestionnaire"])
    page = client.get(f"/rgpd/{c.pk}/").content.decode()
    assert "contrat-editeur.pdf" in page and "activité « État civil »" in page


def test_a_proof_is_deposited_and_checked_on_the_page(rgpd_world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org, col, users = rgpd_world
    c = col["signy"]
    client.force_login(users["gestionnaire"])
    posted = client.post(f"/rgpd/{c.pk}/", {"action": "preuve", "nature": "formation", "date": "2026-03-04", "fichier": SimpleUploadedFile("feuille.pdf", PDF)})
    assert posted.status_code == 200 and "Preuve « feuille.pdf » déposée" in posted.content.decode()
    proof = c.preuves.get()
    assert client.post(f"/rgpd/{c.pk}/", {"action": "verifier-preuve", "preuve": proof.pk}).status_code == 403
    client.force_login(users["dpo"])
    assert "vérifiée" in client.post(f"/rgpd/{c.pk}/", {"action": "verifier-preuve", "preuve": proof.pk}).content.decode()
