"""Factories writing small files in the national standard."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from terrinum.sources import lieux

BASE = {
    "id": "lieu-1",
    "pivot": "21230096700016",
    "nom": "Médiathèque du Grand Guéret",
    "commune": "Guéret",
    "code_postal": "23000",
    "code_insee": "23096",
    "adresse": "2 rue Alexandre Guillon",
    "latitude": "46.1706",
    "longitude": "1.8715",
    "typologie": "BIB",
    "horaires": "Tu-Fr 10:00-12:00,14:00-18:00; Sa 10:00-17:00",
    "source": "Fichier test",
    "date_maj": "2024-03-01",
    "services": "Accès internet et matériel informatique|Aide aux démarches administratives",
    "publics_specifiquement_adresses": "Seniors",
    "frais_a_charge": "Gratuit",
    "modalites_accompagnement": "Accompagnement individuel|Dans un atelier collectif",
}


def place(**overrides) -> dict:
    row = dict(BASE)
    row.update(overrides)
    return row


def write_csv(path: Path, rows: list[dict], delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=lieux.field_names(), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: r.get(k, "") for k in lieux.field_names()})
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def write_json(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path
