"""ARCEP FttH deployment observatory, "Communes" sheets, as published xlsx workbooks or as
their CSV exports (see ../shared/data/real/PROVENANCE.md).

- deployment (`arcep-ftth-communes`): FttH-connectable premises per commune and quarter.
  CSV export: title lines, `Code commune,Champ,T3 2017,...`, two rows per commune
  ("Locaux Raccordables", "Catégorie"). Workbook: header on row 5, one column per quarter
  `T4 2017`... holding locaux raccordables.
- information (`arcep-ftth-informations`): logements, établissements, very dense zone flag,
  L.33-13 operator (AMII zone), else public-initiative network (RIP), rural, mountain.
"""

from __future__ import annotations

import re
from pathlib import Path

from terrinum.sources.common import (
    CheckedReader,
    Parsed,
    Problem,
    SourceError,
    check_millesime,
    departement_of,
    french_int,
    read_text,
    sniff_delimiter,
)

QUARTER = re.compile(r"^t([1-4])\s+(\d{4})$")
OI_QUARTER = re.compile(r"^oi\s+(\d{4})\s*t([1-4])$")


def _norm(value) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip().lower()


def _table(path: Path) -> tuple[list[list[str]], list[str]]:
    """All rows of the file as strings (CSV export or the `Communes` sheet of a workbook)."""
    name = path.name
    notes = []
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for broken files
            raise SourceError(Problem(name, None, None, f"classeur illisible ({exc.__class__.__name__})")) from exc
        sheet_name = next((s for s in wb.sheetnames if _norm(s) == "communes"), None)
        if sheet_name is None:
            raise SourceError(Problem(name, None, None, f"feuille « Communes » absente (feuilles : {', '.join(wb.sheetnames)})"))
        rows = [
            ["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v in r]
            for r in wb[sheet_name].iter_rows(values_only=True)
        ]
        wb.close()
        notes.append(f"classeur xlsx, feuille « {sheet_name} »")
        return rows, notes
    import io

    text, encoding = read_text(path)
    lines = text.splitlines()
    header_line = next((line for line in lines[:10] if "code commune" in line.lower()), None)
    if header_line is None:
        raise SourceError(Problem(name, None, None, "en-tête introuvable : colonne « Code commune » attendue dans les 10 premières lignes"))
    try:
        delim = sniff_delimiter(header_line)
    except ValueError as exc:
        raise SourceError(Problem(name, lines.index(header_line) + 1, None, str(exc))) from None
    notes.append(f"export CSV, encodage {encoding}, séparateur « {delim} »")
    return [list(r) for r in CheckedReader(name, io.StringIO(text), delimiter=delim)], notes


def _header(rows: list[list[str]], name: str) -> tuple[int, list[str]]:
    for i, row in enumerate(rows[:10]):
        cols = [_norm(c) for c in row]
        if "code commune" in cols:
            return i, cols
    raise SourceError(Problem(name, None, None, "en-tête introuvable : colonne « Code commune » attendue"))


def _code(value: str) -> str:
    code = str(value).strip().upper()
    return code.zfill(5) if code.isascii() and code.isdigit() and len(code) == 4 else code  # "1001" from a spreadsheet -> "01001"


def parse_deployment(path: Path, millesime: str | None = None) -> Parsed:
    name = path.name
    rows, notes = _table(path)
    start, cols = _header(rows, name)
    quarters = {i: f"{m.group(2)}T{m.group(1)}" for i, c in enumerate(cols) if (m := QUARTER.match(c))}
    if not quarters:
        raise SourceError(Problem(name, start + 1, None, "aucune colonne trimestrielle (« T4 2017 »...)"))
    if millesime:
        wanted = check_millesime(millesime)
        if wanted not in quarters.values():
            raise SourceError(Problem(name, start + 1, None, f"le trimestre {wanted} n'est pas dans le fichier ({', '.join(quarters.values())})"))
        quarters = {i: q for i, q in quarters.items() if q == wanted}
    code_i = cols.index("code commune")
    champ_i = cols.index("champ") if "champ" in cols else None
    parsed = Parsed(notes=notes + [f"trimestres : {', '.join(sorted(set(quarters.values())))}"])
    parsed.millesime = max(quarters.values())
    seen: dict[tuple[str, str], int] = {}
    categories: dict[tuple[str, str], int] = {}
    category_lines: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(str(v).strip() for v in row):
            continue
        code = _code(row[code_i]) if code_i < len(row) else ""
        if champ_i is not None:
            champ = _norm(row[champ_i]) if champ_i < len(row) else ""
            if champ not in ("locaux raccordables", "catégorie", "categorie"):
                parsed.read += 1
                parsed.rejected.append(
                    Problem(name, line, "Champ", f"valeur « {row[champ_i] if champ_i < len(row) else ''} » inconnue (Locaux Raccordables ou Catégorie)")
                )
                continue
            is_category = champ != "locaux raccordables"
        else:
            is_category = False
        if not is_category:
            parsed.read += 1
        if departement_of(code) is None:
            if not is_category:
                parsed.rejected.append(Problem(name, line, "Code commune", f"code commune « {code} » invalide"))
            continue
        for i, quarter in quarters.items():
            raw = row[i] if i < len(row) else ""
            try:
                value = french_int(str(raw))
            except ValueError as exc:
                if not is_category:
                    parsed.rejected.append(Problem(name, line, cols[i].upper(), str(exc)))
                    break
                continue
            if value is not None and value < 0:
                parsed.rejected.append(Problem(name, line, cols[i].upper(), f"valeur négative {value}"))
                break
            if is_category:
                if value not in (None, 0, 5, 10, 25, 50, 80):
                    parsed.rejected.append(Problem(name, line, cols[i].upper(), f"catégorie {value} hors des classes 0/5/10/25/50/80"))
                    continue
                if (code, quarter) in category_lines:  # a repeated line, identical or not, is refused (docs/fiabilite.md)
                    parsed.read += 1
                    parsed.rejected.append(
                        Problem(name, line, "Code commune", f"catégorie de la commune {code} déjà donnée ligne {category_lines[(code, quarter)]}")
                    )
                    break
                category_lines[(code, quarter)] = line
                categories[(code, quarter)] = value
            else:
                if (code, quarter) in seen:
                    parsed.rejected.append(Problem(name, line, "Code commune", f"commune {code} déjà présente ligne {seen[(code, quarter)]}"))
                    break
                seen[(code, quarter)] = line
                parsed.rows.append(
                    {"ligne": line, "code_source": code, "code_departement": departement_of(code), "millesime": quarter, "locaux_ftth_raccordables": value or 0}
                )
    for r in parsed.rows:
        r["categorie"] = categories.get((r["code_source"], r["millesime"]))
    if not parsed.rows:
        raise SourceError(Problem(name, None, None, "aucune ligne « Locaux Raccordables » exploitable"))
    return parsed


INFO_COLUMNS = {
    "logements": "logements",
    "établissements": "etablissements",
    "zones très denses": "ztd",
    "zone(s) très dense(s)": "ztd",
    "engagements l. 33-13": "l3313",
    "engagements l. 33-13 (et amel)": "l3313",
    "commune rurale": "rurale",
    "commune de montagne": "montagne",
}


def parse_information(path: Path, millesime: str | None = None) -> Parsed:
    name = path.name
    rows, notes = _table(path)
    start, cols = _header(rows, name)
    idx = {INFO_COLUMNS[c]: i for i, c in enumerate(cols) if c in INFO_COLUMNS}
    missing = {"logements", "etablissements", "ztd", "l3313"} - set(idx)
    if missing:
        raise SourceError(Problem(name, start + 1, None, f"colonnes manquantes : {', '.join(sorted(missing))}"))
    oi = next((f"{m.group(1)}T{m.group(2)}" for c in cols if (m := OI_QUARTER.match(c))), None)
    parsed = Parsed(notes=notes)
    if millesime:
        parsed.millesime = check_millesime(millesime)
    elif oi:
        parsed.millesime = oi
        parsed.notes.append(f"millésime {oi} lu dans la colonne « OI »")
    else:
        raise SourceError(Problem(name, None, None, "millésime introuvable (colonne « OI AAAA Tn ») : précisez --millesime"))
    code_i = cols.index("code commune")
    for line, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(str(v).strip() for v in row):
            continue
        parsed.read += 1
        if len(row) < len(cols):  # a truncated line
            parsed.rejected.append(Problem(name, line, None, f"{len(row)} valeurs pour {len(cols)} colonnes (ligne tronquée ?)"))
            continue
        code = _code(row[code_i])
        if departement_of(code) is None:
            parsed.rejected.append(Problem(name, line, "Code commune", f"code commune « {code} » invalide"))
            continue
        try:
            logements = french_int(row[idx["logements"]]) or 0
            etablissements = french_int(row[idx["etablissements"]]) or 0
        except ValueError as exc:
            parsed.rejected.append(Problem(name, line, "Logements/Établissements", str(exc)))
            continue
        if logements < 0 or etablissements < 0:
            parsed.rejected.append(Problem(name, line, "Logements/Établissements", "valeur négative"))
            continue
        flag = lambda key: key in idx and _norm(row[idx[key]]) not in ("", "-", "0")  # noqa: E731, B023 (used in this iteration)
        operator = _norm(row[idx["l3313"]]).upper()
        operator = "" if operator in ("", "-") else operator
        zone = "ZTD" if flag("ztd") else ("AMII" if operator else "RIP")
        parsed.rows.append(
            {
                "ligne": line,
                "code_source": code,
                "code_departement": departement_of(code),
                "logements": logements,
                "etablissements": etablissements,
                "zone": zone,
                "operateur_amii": operator or None,
                "rurale": flag("rurale"),
                "montagne": flag("montagne"),
            }
        )
    if not parsed.rows:
        raise SourceError(Problem(name, None, None, "aucune ligne exploitable"))
    return parsed
