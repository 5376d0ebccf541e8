"""ARCEP "Mon réseau mobile" files (see ../shared/data/real/PROVENANCE.md).

- sites (`arcep-mobile-sites`): one row per mobile site. Overseas layout
  `Operateur;X;Y;C2G;C3G;C4G` (MCC-MNC, longitude, latitude WGS84, 1/0 per technology),
  located in a commune by point-in-polygon; metropolitan layout `nom_op;nom_com;insee_dep;
  insee_com;site_2g;site_3g;site_4g;...` carries the commune code.
- per-commune coverage statistics (`arcep-mobile-communes`): `techno;mcc_mnc;commune;
  couv_nc;couv_cl;couv_bc;couv_tbc;pop_nc;pop_cl;pop_bc;pop_tbc` (shares of area and
  population at each level).
- coverage polygons (`arcep-mobile-couverture`, GeoPackage): arcep_couverture.py.
- New Deal targeted-coverage sites (`arcep-newdeal-sites`): deadlines and status.
"""

from __future__ import annotations

import re
from pathlib import Path

from terrinum.sources.common import (
    Parsed,
    Problem,
    SourceError,
    add_months,
    check_millesime,
    departement_of,
    find_header,
    parse_date,
    read_text,
    reject_duplicates,
    table_rows,
)

# Mainland operators (MCC 208); overseas networks use MCC 340 (Antilles, Guyane) and 647
# (La Réunion, Mayotte): any two-digit MNC of those is accepted and named by its code.
OPERATORS = {"20801": "OF", "20810": "SFR0", "20815": "FREE", "20820": "BOUY"}
OPERATOR_NAMES = {"OF": "Orange", "SFR0": "SFR", "FREE": "Free Mobile", "BOUY": "Bouygues Telecom"}
ALIASES = {"SFR": "SFR0", "BYT": "BOUY", "ORANGE": "OF", "FREE MOBILE": "FREE", "BOUYGUES TELECOM": "BOUY"}
MCC_MNC = re.compile(r"^(208|340|647)\d{2}$")
FILE_QUARTER = re.compile(r"(\d{4})[_-]?T([1-4])", re.I)
LEVELS = ("nc", "cl", "bc", "tbc")


def operator_of(value: str) -> str | None:
    """Canonical operator: OF, SFR0, BOUY, FREE for mainland codes or names; the MCC-MNC
    itself for overseas networks; None when unknown."""
    v = value.strip().upper()
    if v in OPERATORS:
        return OPERATORS[v]
    if v in OPERATOR_NAMES:
        return v
    if v in ALIASES:
        return ALIASES[v]
    if MCC_MNC.match(v):
        return v
    return None


def _millesime(path: Path, millesime: str | None) -> str:
    if millesime:
        return check_millesime(millesime)
    m = FILE_QUARTER.search(path.name)
    if not m:
        raise SourceError(Problem(path.name, None, None, "millésime absent du nom de fichier (ex. 2020T2) : précisez --millesime"))
    return f"{m.group(1)}T{m.group(2)}"


def _flag(value: str) -> int:
    v = value.strip()
    if v not in ("0", "1"):
        raise ValueError(f"« {value} » : 0 ou 1 attendu")
    return int(v)


def parse_sites(path: Path, millesime: str | None = None) -> Parsed:
    """Sites with their operator, technologies, and either a commune code or a position
    (`longitude`, `latitude`) for the importer to locate."""
    name = path.name
    text, encoding = read_text(path)
    lines = text.splitlines()
    # Two published layouts, told apart by their operator column; each must be complete.
    layouts = {
        "outre-mer": ("operateur", ["operateur", "x", "y", "c2g", "c3g", "c4g"]),
        "métropole": ("nom_op", ["nom_op", "insee_com", "site_2g", "site_3g", "site_4g"]),
    }
    found = None
    for layout, (operator_column, required) in layouts.items():
        try:
            found = layout, required, find_header(lines, {operator_column}, name)
            break
        except SourceError:
            continue
    if found is None:
        expected = " ; ".join(
            f"{layout} : {', '.join(c.upper() if layout == 'outre-mer' else c for c in required)}" for layout, (_, required) in layouts.items()
        )
        raise SourceError(Problem(name, None, None, f"en-tête introuvable : colonnes attendues ({expected})"))
    layout, required, (start, delim, cols) = found
    missing = [c for c in required if c not in cols]
    if missing:
        shown = [c.upper() if layout == "outre-mer" else c for c in missing]
        raise SourceError(Problem(name, start + 1, None, f"disposition {layout} : colonne(s) manquante(s) {', '.join(shown)}"))
    idx = {c: i for i, c in enumerate(cols)}
    techs = {"site_2g": ("c2g", "site_2g"), "site_3g": ("c3g", "site_3g"), "site_4g": ("c4g", "site_4g")}
    parsed = Parsed(millesime=_millesime(path, millesime), notes=[f"encodage {encoding}, séparateur « {delim} », disposition {layout}"])
    for line, values in table_rows(text, start, delim, cols, name, parsed):
        op_col = "operateur" if layout == "outre-mer" else "nom_op"
        operator = operator_of(values[idx[op_col]])
        if operator is None:
            parsed.rejected.append(Problem(name, line, op_col, f"opérateur « {values[idx[op_col]]} » inconnu"))
            continue
        row = {"ligne": line, "operateur": operator}
        try:
            for key, names in techs.items():
                col = next((n for n in names if n in idx), None)
                row[key] = _flag(values[idx[col]]) if col else 0
        except ValueError as exc:
            parsed.rejected.append(Problem(name, line, col, str(exc)))
            continue
        if layout == "outre-mer":
            try:
                lon, lat = float(values[idx["x"]]), float(values[idx["y"]])
            except ValueError:
                parsed.rejected.append(Problem(name, line, "X/Y", "coordonnées non numériques"))
                continue
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                parsed.rejected.append(Problem(name, line, "X/Y", f"({lon}, {lat}) n'est pas une position WGS84"))
                continue
            row.update({"longitude": lon, "latitude": lat, "code_source": None, "code_departement": None})
        else:
            code = values[idx["insee_com"]].strip().upper()
            if departement_of(code) is None:
                parsed.rejected.append(Problem(name, line, "insee_com", f"code commune « {code} » invalide"))
                continue
            row.update({"longitude": None, "latitude": None, "code_source": code, "code_departement": departement_of(code)})
        parsed.rows.append(row)
    # The file has no site identifier. One operator listed twice at the same position (to the
    # published precision) is one site counted twice: the repeat is a rejected row, as every
    # source's duplicate key (docs/fiabilite.md). The published 2020T2 files of La Réunion,
    # Guadeloupe and Martinique have one such pair each: import them with --accepter-rejets.
    # The metropolitan layout places sites by commune only: identical rows there are distinct
    # sites of one operator in one commune, and are all counted.
    if layout == "outre-mer":
        reject_duplicates(parsed, name, ("operateur", "longitude", "latitude"), "Operateur, X, Y")
    return parsed


COMMUNE_STATS = {"techno", "mcc_mnc", "commune", *(f"couv_{lv}" for lv in LEVELS), *(f"pop_{lv}" for lv in LEVELS)}


def parse_communes(path: Path, millesime: str | None = None) -> Parsed:
    """Per-commune coverage shares per technology and operator."""
    name = path.name
    text, encoding = read_text(path)
    start, delim, cols = find_header(text.splitlines(), COMMUNE_STATS, name)
    idx = {c: i for i, c in enumerate(cols)}
    parsed = Parsed(millesime=_millesime(path, millesime), notes=[f"encodage {encoding}, séparateur « {delim} »"])
    seen: dict[tuple, int] = {}
    for line, values in table_rows(text, start, delim, cols, name, parsed, strip_quotes=True):
        operator = operator_of(values[idx["mcc_mnc"]])
        if operator is None:
            parsed.rejected.append(Problem(name, line, "mcc_mnc", f"opérateur « {values[idx['mcc_mnc']]} » inconnu"))
            continue
        techno = values[idx["techno"]].upper()
        if techno not in ("2G", "3G", "4G", "5G", "2G3G"):
            parsed.rejected.append(Problem(name, line, "techno", f"technologie « {techno} » inconnue"))
            continue
        code = values[idx["commune"]].upper()
        if departement_of(code) is None:
            parsed.rejected.append(Problem(name, line, "commune", f"code commune « {code} » invalide"))
            continue
        row = {"ligne": line, "code_source": code, "code_departement": departement_of(code), "operateur": operator, "techno": techno}
        problem = None
        for kind in ("couv", "pop"):
            total = 0.0
            for lv in LEVELS:
                raw = values[idx[f"{kind}_{lv}"]].replace(",", ".")
                try:
                    v = float(raw) if raw else 0.0
                except ValueError:
                    problem = Problem(name, line, f"{kind}_{lv}", f"« {raw} » n'est pas un nombre")
                    break
                if not 0 <= v <= 100:
                    problem = Problem(name, line, f"{kind}_{lv}", f"part {v} hors de 0–100")
                    break
                row[f"{'part_surface' if kind == 'couv' else 'part_pop'}_{lv}"] = v
                total += v
            if problem:
                break
            if abs(total - 100) > 1:
                problem = Problem(name, line, f"{kind}_*", f"les parts des quatre niveaux font {total:.1f} % et non 100 %")
                break
        if problem:
            parsed.rejected.append(problem)
            continue
        key = (code, operator, techno)
        if key in seen:
            parsed.rejected.append(Problem(name, line, "commune", f"{code} {operator} {techno} déjà présent ligne {seen[key]}"))
            continue
        seen[key] = line
        parsed.rows.append(row)
    return parsed


NEW_DEAL_DEADLINE_MONTHS = 24


def parse_new_deal(path: Path, millesime: str | None = None) -> Parsed:
    """New Deal targeted-coverage sites: arrêté number and publication date, the operators
    involved (one column per MCC-MNC: 1/0, or the date the operator put the site in
    service), zone origin, commune code. Deadline = publication + 24 months."""
    name = path.name
    text, encoding = read_text(path)
    start, delim, cols = find_header(text.splitlines(), {"num_arrete", "date_publication_arrete"}, name)
    idx = {c: i for i, c in enumerate(cols)}
    op_cols = [c for c in cols if c in OPERATORS]
    if not op_cols:
        raise SourceError(Problem(name, start + 1, None, "aucune colonne d'opérateur (20801, 20810, 20815, 20820)"))
    code_col = next((c for c in ("code_insee", "insee_com", "code_commune") if c in idx), None)
    if code_col is None:
        raise SourceError(Problem(name, start + 1, None, "colonne de commune absente (code_insee ou insee_com)"))
    parsed = Parsed(notes=[f"encodage {encoding}, séparateur « {delim} »"])
    for line, values in table_rows(text, start, delim, cols, name, parsed, strip_quotes=True):
        published = parse_date(values[idx["date_publication_arrete"]])
        if published is None:
            parsed.rejected.append(Problem(name, line, "date_publication_arrete", f"date « {values[idx['date_publication_arrete']]} » illisible"))
            continue
        code = values[idx[code_col]].upper()
        if departement_of(code) is None:
            parsed.rejected.append(Problem(name, line, code_col, f"code commune « {code} » invalide"))
            continue
        involved, in_service, problem = [], [], None
        for c in op_cols:
            v = values[idx[c]]
            if v in ("", "0"):
                continue
            involved.append(OPERATORS[c])
            if v != "1":
                day = parse_date(v)
                if day is None:
                    problem = Problem(name, line, c, f"« {v} » : 1, 0 ou une date de mise en service attendus")
                    break
                in_service.append(day)
        if problem:
            parsed.rejected.append(problem)
            continue
        if not involved:
            parsed.rejected.append(Problem(name, line, "/".join(op_cols), "aucun opérateur désigné"))
            continue
        statut = values[idx["statut"]].lower() if "statut" in idx else ""
        done = len(in_service) == len(involved) or statut in ("en service", "en_service", "mis en service")
        parsed.rows.append(
            {
                "ligne": line,
                "code_source": code,
                "code_departement": departement_of(code),
                "num_arrete": values[idx["num_arrete"]],
                "date_publication": published,
                "echeance": add_months(published, NEW_DEAL_DEADLINE_MONTHS),
                "operateurs": ",".join(involved),
                "origine_zone": values[idx["origine_zone"]] if "origine_zone" in idx else None,
                "date_mise_en_service": max(in_service) if done and in_service else None,
                "en_service": done,
            }
        )
    years = sorted({r["date_publication"].year for r in parsed.rows})
    parsed.millesime = check_millesime(millesime) if millesime else (f"{years[-1]}T4" if years else None)
    if parsed.millesime is None:
        raise SourceError(Problem(name, None, None, "aucun site exploitable"))
    return parsed
