"""Proofs of compliance: documents attached to a collectivité, an activity or an action of
its plan (type read from the content, at most 5 MB, kept with their SHA-256), checked by the
DPO; every deposit and check in the register's journal. docs/rgpd.md, « Preuves »."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

from django.db import transaction
from django.utils import timezone

from terrinum.apps.rgpd.models import Action, Activite, Collectivite, Preuve
from terrinum.apps.rgpd.services import Refused, require, trace

MAX_BYTES = 5 * 1024 * 1024
OPEN_DOCUMENT = {
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.presentation",
}  # fmt: skip


def kind_of(content: bytes) -> str | None:
    """The document's type read from its first bytes: PDF, PNG, JPEG, or an OpenDocument file
    (its `mimetype` entry); None for anything else."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                declared = z.read("mimetype").decode("ascii", "replace").strip()
        except (zipfile.BadZipFile, KeyError):
            return None
        return declared if declared in OPEN_DOCUMENT else None
    return None


def add(c: Collectivite, who, nature: str, name: str, content: bytes, date: dt.date, activite: Activite | None = None, action: Action | None = None) -> Preuve:
    require(who, c, "modifier")
    if nature not in dict(Preuve.NATURES):
        raise Refused(f"nature de preuve inconnue : {nature}")
    if not content:
        raise Refused(f"{name} : fichier vide")
    if len(content) > MAX_BYTES:
        raise Refused(f"{name} : au plus 5 Mo")
    kind = kind_of(content)
    if kind is None:
        raise Refused(f"{name} : PDF, PNG, JPEG ou document OpenDocument (ODT, ODS) attendu")
    if date > timezone.localdate():
        raise Refused(f"date de la pièce au {date:%d/%m/%Y} : dans le futur")
    for linked, label in ((activite, "activité"), (action, "action")):
        if linked is not None and linked.collectivite_id != c.pk:
            raise Refused(f"cette {label} n'est pas de {c}")
    with transaction.atomic():
        made = Preuve.objects.create(
            collectivite=c, activite=activite, action=action, nature=nature, nom=(name or "pièce")[:200], date=date, type_mime=kind,
            taille=len(content), sha256=hashlib.sha256(content).hexdigest(), contenu=content, depose_par=who,
        )  # fmt: skip
        trace(c, who, "preuve", made, made.nom, f"preuve déposée : {made.get_nature_display()}"[:100])
    return made


def verify(p: Preuve, who) -> Preuve:
    """The DPO has read the document and holds it for a proof."""
    require(who, p, "verifier")
    with transaction.atomic():
        p.verifiee_le, p.verifiee_par = timezone.now(), who
        p.save(update_fields=["verifiee_le", "verifiee_par"])
        trace(p.collectivite, who, "preuve", p, p.nom, "preuve vérifiée par le DPO")
    return p
