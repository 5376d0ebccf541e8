"""Every upload form's reader, fed damaged versions of a valid file (the mutations of
tests/test_fuzz_imports.py): the RGPD register's JSON import, the Pass numérique voucher
photo, the coverage report's measurement file. Each answers with its module's refusal, never
a traceback, and keeps no NUL character; one POST per form checks the page says it (no 500)."""

import io
import json
import random

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terrinum.apps.pass_numerique import services as pass_services
from terrinum.apps.rgpd import services as rgpd_services
from terrinum.apps.signalements import services as coverage_services
from tests.test_fuzz_imports import EXAMPLES, MUTATIONS, mutate

EXPORT = json.dumps(
    {"format": rgpd_services.FORMAT, "activites": [{"nom": "État civil", "finalite": "Tenir les actes", "base_legale": "obligation_legale"}]}
).encode()
MEASUREMENTS = b"latitude;longitude;operateur;techno;debit\n49,70;4,39;Orange;4G;0,8\n49.71;4.40;20815;3G;\n"


def _photo() -> bytes:
    buffer = io.BytesIO()
    segno.make("ABCD-EFGH-JKLM-N", error="m").save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def _no_nul(value) -> bool:
    return "\x00" not in json.dumps(value, default=str)


READERS = {
    "rgpd-json": (EXPORT, lambda data: rgpd_services.read_export(data, "registre.json"), rgpd_services.Refused),
    "pass-photo": (_photo(), lambda data: pass_services.code_in_photo(SimpleUploadedFile("qr.png", data)), pass_services.Refused),
    "mesures": (MEASUREMENTS, lambda data: coverage_services.parse_measurements("mesures.csv", data), coverage_services.Refused),
}


@pytest.mark.parametrize("form", sorted(READERS))
def test_upload_readers_refuse_damaged_files_cleanly(form):
    seed, read, refusal = READERS[form]
    read(seed)  # the seed itself is accepted

    @settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.sampled_from([*MUTATIONS, "nul"]), st.randoms(use_true_random=False))
    def damaged(how, rnd):
        data = seed[:20] + b"\x00" + seed[20:] if how == "nul" else mutate(seed, how, rnd)
        try:
            value = read(data)
        except refusal:
            return
        assert _no_nul(value), how

    damaged()
    for data in (b"[" * 100_000 + b"]" * 100_000, b"", random.Random(1).randbytes(3000), seed.replace(seed[10:11], b"\x00")):
        try:
            read(data)
        except refusal:
            pass
