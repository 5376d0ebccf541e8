"""Places of digital mediation: the national standard "Lieux de médiation numérique" (CSV or
JSON) and the Ministry of Culture's public libraries file mapped to it.

Validation is driven by the standard's own Table Schema (vendored in `schemas/`, Licence
Ouverte): required fields, types, patterns, lengths and the enumerations that the patterns
encode for multi-valued fields (values separated by `|`). On top of the schema: `horaires`
must parse as OpenStreetMap `opening_hours`, coordinates come in pairs and lie in France."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

import opening_hours

from terrinum.sources.common import (
    Parsed,
    Problem,
    SourceError,
    open_delimited,
    read_text,
)
from terrinum.territories.geometry import in_france

SCHEMA_FILE = "lieux-mediation-numerique-v1.0.2.schema.json"
MULTI_SEPARATOR = "|"
# The standard's advice for a structure without a known SIRET/RNA.
UNKNOWN_PIVOT = "00000000000000"


@cache
def schema() -> dict:
    return json.loads(resources.files("terrinum.sources").joinpath("schemas", SCHEMA_FILE).read_text("utf-8"))


@cache
def fields() -> list[dict]:
    return schema()["fields"]


def field_names() -> list[str]:
    return [f["name"] for f in fields()]


_ENUM_PATTERN = re.compile(r"^\(\?:\(\?:\^\|\\\|\)\((.*)\)\)\+\$$")


@cache
def enumerations() -> dict[str, list[str]]:
    """Allowed values of each multi-valued field, read from its schema pattern
    `(?:(?:^|\\|)(A|B|C))+$`."""
    out = {}
    for f in fields():
        m = _ENUM_PATTERN.match(f.get("constraints", {}).get("pattern", ""))
        if m:
            # Split on unescaped "|" then unescape the regex: "Langues étrangères \\(anglais\\)".
            out[f["name"]] = [re.sub(r"\\(.)", r"\1", v) for v in re.split(r"(?<!\\)\|", m.group(1))]
    return out


def check_horaires(value: str) -> str | None:
    """None when `value` is valid OSM opening_hours, else the parser's reason (one line)."""
    try:
        opening_hours.OpeningHours(value)
    except Exception as exc:  # the binding raises ParserError and friends
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip().startswith("=")]
        return lines[0].lstrip("= ").strip() if lines else str(exc).splitlines()[0]
    return None


def validate(raw: dict[str, str | None]) -> tuple[dict, list[tuple[str, str]]]:
    """One row of the standard -> (canonical row, [(field, reason)]). Canonical values are
    stripped strings or None; `latitude`/`longitude` floats; `date_maj` a date."""
    row: dict = {}
    errors: list[tuple[str, str]] = []
    enums = enumerations()
    for f in fields():
        name, constraints = f["name"], f.get("constraints", {})
        value = raw.get(name)
        value = value.strip() if isinstance(value, str) else value
        if value in ("", None):
            row[name] = None
            if constraints.get("required"):
                errors.append((name, "valeur obligatoire manquante"))
            continue
        if f["type"] == "number":
            try:
                value = float(str(value).replace(",", "."))
            except ValueError:
                errors.append((name, f"« {value} » n'est pas un nombre"))
                continue
        elif f["type"] == "date":
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                errors.append((name, f"« {value} » n'est pas une date AAAA-MM-JJ"))
                continue
        else:
            value = str(value)
            if name in enums:
                items = [v.strip() for v in value.split(MULTI_SEPARATOR)]
                unknown = [v for v in items if v not in enums[name]]
                if unknown:
                    errors.append((name, f"valeur(s) hors énumération : {', '.join(f'« {v} »' for v in unknown)} (admises : {' ; '.join(enums[name])})"))
                    continue
                value = MULTI_SEPARATOR.join(items)
            elif "pattern" in constraints and not re.fullmatch(constraints["pattern"], value):
                errors.append((name, f"« {value} » ne respecte pas le format attendu ({constraints['pattern']})"))
                continue
            if "maxLength" in constraints and len(value) > constraints["maxLength"]:
                errors.append((name, f"{len(value)} caractères pour {constraints['maxLength']} au plus"))
                continue
        row[name] = value
    if row.get("horaires"):
        reason = check_horaires(row["horaires"])
        if reason:
            errors.append(("horaires", f"syntaxe OpenStreetMap opening_hours invalide ({reason})"))
    lat, lon = row.get("latitude"), row.get("longitude")
    if (lat is None) != (lon is None):
        errors.append(("latitude" if lat is None else "longitude", "latitude et longitude vont ensemble"))
    elif lat is not None and not in_france(lat, lon):
        errors.append(("latitude", f"coordonnées ({lat}, {lon}) hors de France (ou latitude et longitude inversées)"))
    return row, errors


def _check_ids(parsed: Parsed, rows: list[tuple[int, dict, list]], name: str) -> None:
    """Validate, reject duplicated ids within the file (the schema's primary key)."""
    seen: dict[str, int] = {}
    for line, row, errors in rows:
        ident = row.get("id")
        if ident is not None and ident in seen:
            errors.append(("id", f"identifiant « {ident} » déjà utilisé ligne {seen[ident]}"))
        elif ident is not None:
            seen[ident] = line
        if errors:
            parsed.rejected.extend(Problem(name, line, f, reason) for f, reason in errors)
        else:
            row["_ligne"] = line
            parsed.rows.append(row)


# The reasons Python's JSON decoder gives (English), in words a user reads.
_JSON_REASONS = {
    "Expecting value": "une valeur est attendue (fichier vide, tronqué ou qui n'est pas du JSON)",
    "Expecting ',' delimiter": "une virgule est attendue entre deux éléments",
    "Expecting ':' delimiter": "deux-points attendus après un nom de champ",
    "Expecting property name enclosed in double quotes": "un nom de champ entre guillemets droits est attendu",
    "Unterminated string starting at": "texte entre guillemets jamais refermé",
    "Invalid control character at": "caractère de contrôle interdit dans un texte",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Extra data": "contenu en trop après la fin des données",
}


def _json_reason(message: str) -> str:
    return next((french for english, french in _JSON_REASONS.items() if message.startswith(english)), message)


def parse_standard(path: Path, millesime: str | None = None) -> Parsed:
    """A file in the national standard, CSV (`,` or `;`) or JSON (an array of objects)."""
    name = path.name
    parsed = Parsed(millesime=millesime)
    known = set(field_names())
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(read_text(path)[0])
        except json.JSONDecodeError as exc:
            raise SourceError(Problem(name, exc.lineno, None, f"JSON illisible, colonne {exc.colno} : {_json_reason(exc.msg)}")) from None
        except RecursionError:
            raise SourceError(Problem(name, None, None, "JSON illisible : imbrication trop profonde (un tableau d'objets à plat est attendu)")) from None
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            data = data["data"]
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise SourceError(Problem(name, None, None, "JSON attendu : un tableau d'objets (un objet par lieu)"))
        records = [(i + 1, {k: (None if v is None else str(v) if not isinstance(v, str) else v) for k, v in d.items()}) for i, d in enumerate(data)]
        columns = sorted({k for _, d in records for k in d})
        where = "objet"
    else:
        columns, reader = open_delimited(path, ",;")
        records = []
        for index, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(columns):
                parsed.read += 1
                parsed.rejected.append(Problem(name, index, None, f"{len(values)} valeurs pour {len(columns)} colonnes"))
                continue
            records.append((index, dict(zip(columns, values))))
        where = "ligne"
    required = [f["name"] for f in fields() if f.get("constraints", {}).get("required")]
    missing = [c for c in required if c not in columns]
    if missing and records:
        raise SourceError(Problem(name, None, None, f"colonne(s) obligatoire(s) absente(s) du standard : {', '.join(missing)}"))
    extra = [c for c in columns if c not in known]
    if extra:
        parsed.notes.append(f"colonne(s) hors standard ignorée(s) : {', '.join(extra)}")
    if where == "objet":
        parsed.notes.append("numéros de ligne = rang de l'objet dans le tableau JSON")
    checked = []
    for line, record in records:
        parsed.read += 1
        row, errors = validate(record)
        checked.append((line, row, errors))
    _check_ids(parsed, checked, name)
    return parsed


LIBRARY_COLUMNS = {"libelle1", "voie", "cp", "ville", "insee", "coordonnees_finales", "code_bib", "statut"}
LIBRARY_SOURCE = "Ministère de la Culture — bibliothèques publiques"
LIBRARY_TYPOLOGIE = "BIB"  # data·inclusion typology for libraries and médiathèques


def parse_libraries(path: Path, millesime: str | None = None, date_maj: dt.date | None = None) -> Parsed:
    """The public libraries file (`;`, one row per library) mapped to the standard. A library
    has no SIRET in the file: its pivot is the standard's "unknown" value and the library is
    never merged by pivot. `date_maj` is the import date unless given."""
    name = path.name
    header, reader = open_delimited(path)
    columns = [c.lower() for c in header]
    missing = LIBRARY_COLUMNS - set(columns)
    if missing:
        raise SourceError(Problem(name, 1, None, f"colonne(s) absente(s) : {', '.join(sorted(missing))}"))
    parsed = Parsed(millesime=millesime)
    date_maj = (date_maj or dt.date.today()).isoformat()
    checked = []
    for index, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        parsed.read += 1
        if len(values) != len(columns):
            parsed.rejected.append(Problem(name, index, None, f"{len(values)} valeurs pour {len(columns)} colonnes"))
            continue
        r = {k: v.strip() for k, v in zip(columns, values)}
        errors: list[tuple[str, str]] = []
        code_bib = r["code_bib"].removesuffix(".0")
        if not code_bib:
            errors.append(("code_bib", "identifiant de bibliothèque manquant"))
        lat = lon = None
        if r["coordonnees_finales"]:
            try:
                lat, lon = (float(v) for v in r["coordonnees_finales"].split(","))
            except ValueError:
                errors.append(("coordonnees_finales", f"« {r['coordonnees_finales']} » n'est pas « latitude,longitude »"))
        nom = r["libelle1"] + (f" — {r['libelle2']}" if r.get("libelle2") else "")
        cp = r["cp"].removesuffix(".0")
        standard = {
            "id": f"bibliotheque-{code_bib}",
            "pivot": UNKNOWN_PIVOT,
            "nom": nom,
            "commune": r["ville"],
            "code_postal": cp.zfill(5) if cp.isascii() and cp.isdigit() else cp,
            "code_insee": r["insee"],
            "adresse": r["voie"] or r.get("localisation", ""),
            "complement_adresse": r.get("localisation") if r["voie"] else None,
            "latitude": None if lat is None else str(lat),
            "longitude": None if lon is None else str(lon),
            "typologie": LIBRARY_TYPOLOGIE,
            "source": LIBRARY_SOURCE,
            "structure_parente": r.get("statut") or None,
            "date_maj": date_maj,
        }
        row, more = validate(standard)
        # Name the library file's own columns in errors, not the standard's.
        origin = {
            "nom": "Libelle1",
            "commune": "Ville",
            "code_postal": "CP",
            "code_insee": "INSEE",
            "adresse": "voie",
            "latitude": "coordonnees_finales",
            "longitude": "coordonnees_finales",
        }
        errors += [(origin.get(f, f), reason) for f, reason in more]
        checked.append((index, row, errors))
    _check_ids(parsed, checked, name)
    return parsed
