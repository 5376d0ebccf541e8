"""INSEE per-commune inputs of the digital fragility index (`insee-indicateurs`).

Columns are mapped by name, whatever their order and separator:
- rates in % (extracts derived from the census and Filosofi): `TX_NSCOL15P`, `TX_MENSEUL`,
  `TX_FAMMONO`, `TX_65ETPLUS`, `TX_25ETMOINS`, `TX_DEMANDEURS_EMPLOI`, `TX_POVERTY` /
  `TX_PAUVRETE`; a file may hold any subset;
- legal populations: `PMUN` (with `DEPCOM`), the weight of each source commune;
- INSEE "dossier complet" / "base comparateur de territoires" counts (`CODGEO` with
  `P<yy>_POP`, `P<yy>_POP65P`, `P<yy>_POP0014`..., `C<yy>_MEN`, `C<yy>_MENPSEUL`,
  `C<yy>_FAM`, `C<yy>_FAMMONO`, `P<yy>_NSCOL15P`, `P<yy>_NSCOL15P_DIPLMIN`), from which the
  same rates are derived.
"""

from __future__ import annotations

import re
from pathlib import Path

from terrinum.sources.common import CheckedReader, Parsed, Problem, SourceError, departement_of, read_text, sniff_delimiter, table_rows

RATES = {
    "tx_nscol15p": "tx_nscol15p",
    "tx_menseul": "tx_menseul",
    "tx_fammono": "tx_fammono",
    "tx_65etplus": "tx_65etplus",
    "tx_25etmoins": "tx_25etmoins",
    "tx_demandeurs_emploi": "tx_demandeurs_emploi",
    "tx_poverty": "tx_pauvrete",
    "tx_pauvrete": "tx_pauvrete",
    "pmun": "population",
}
CODE_COLUMNS = ("code_insee", "codgeo", "depcom")
DESCRIPTIVE = {"", "libcom", "com", "libgeo", "dep", "reg", "pcap", "ptot", "nom", "nom_commune", "unnamed: 0"}
# dossier complet: derived rate = 100 * numerator / denominator (same census year yy)
COUNTS = {
    "tx_65etplus": ("p{yy}_pop65p", "p{yy}_pop"),
    "tx_menseul": ("c{yy}_menpseul", "c{yy}_men"),
    "tx_fammono": ("c{yy}_fammono", "c{yy}_fam"),
    "tx_nscol15p": ("p{yy}_nscol15p_diplmin", "p{yy}_nscol15p"),
}
COUNT_COLUMN = re.compile(r"^[pc](\d{2})_[a-z0-9_]+$")


def _census_year(columns: list[str]) -> str | None:
    years = {m.group(1) for c in columns if (m := COUNT_COLUMN.match(c))}
    return f"20{years.pop()}" if len(years) == 1 else None


def parse(path: Path, millesime: str | None = None) -> Parsed:
    name = path.name
    text, encoding = read_text(path)
    lines = text.splitlines()
    if not lines:
        raise SourceError(Problem(name, None, None, "fichier vide"))
    try:
        delim = sniff_delimiter(lines[0], ";,\t")
    except ValueError as exc:
        raise SourceError(Problem(name, 1, None, str(exc))) from exc
    header = [h.strip().strip('"').lower() for h in next(CheckedReader(name, [lines[0]], delimiter=delim))]
    code_col = next((c for c in CODE_COLUMNS if c in header), None)
    if code_col is None:
        raise SourceError(Problem(name, 1, None, f"colonne de code commune absente ({', '.join(c.upper() for c in CODE_COLUMNS)})"))
    year = _census_year(header)
    derived = {}
    if year:
        yy = year[2:]
        for target, (num, den) in COUNTS.items():
            if num.format(yy=yy) in header and den.format(yy=yy) in header:
                derived[target] = (header.index(num.format(yy=yy)), header.index(den.format(yy=yy)))
        pop = f"p{yy}_pop"
        if pop in header:
            derived["population"] = (header.index(pop), None)
    direct = {RATES[h]: i for i, h in enumerate(header) if h in RATES}
    unknown = [h for h in header if h not in RATES and h not in DESCRIPTIVE and h != code_col and not COUNT_COLUMN.match(h)]
    if unknown:
        raise SourceError(
            Problem(
                name,
                1,
                unknown[0].upper(),
                f"colonne(s) inconnue(s) : {', '.join(u.upper() for u in unknown)} (indicateurs attendus : {', '.join(sorted({k.upper() for k in RATES}))})",
            )
        )
    if not direct and not derived:
        raise SourceError(Problem(name, 1, None, "aucun indicateur reconnu"))
    parsed = Parsed(notes=[f"encodage {encoding}, séparateur « {delim} »"])
    indicators = sorted(set(direct) | set(derived))
    parsed.notes.append("indicateurs : " + ", ".join(indicators) + (f" (dérivés des effectifs du recensement {year})" if derived else ""))
    parsed.millesime = millesime or year
    if not parsed.millesime:
        raise SourceError(Problem(name, None, None, "millésime inconnu : précisez --millesime (année du recensement, ex. 2016)"))
    if not re.fullmatch(r"\d{4}", str(parsed.millesime)):
        raise SourceError(Problem(name, None, None, f"millésime « {parsed.millesime} » invalide (attendu : une année, ex. 2016)"))
    code_i = header.index(code_col)
    rows: dict[str, dict] = {}
    empty_duplicates = 0
    for line, values in table_rows(text, 0, delim, header, name, parsed):
        code = values[code_i].strip().upper()
        if departement_of(code) is None:
            parsed.rejected.append(Problem(name, line, code_col.upper(), f"code commune « {code} » invalide"))
            continue
        row = {"ligne": line, "code_source": code, "code_departement": departement_of(code)}
        problem = None
        for key, i in direct.items():
            raw = values[i].strip().replace(",", ".") if delim != "," else values[i].strip()
            if raw == "":
                continue
            try:
                value = float(raw)
            except ValueError:
                problem = Problem(name, line, header[i].upper(), f"« {values[i]} » n'est pas un nombre")
                break
            if key != "population" and not 0 <= value <= 100:
                problem = Problem(name, line, header[i].upper(), f"taux {value} hors de 0–100")
                break
            if key == "population" and value < 0:
                problem = Problem(name, line, header[i].upper(), "population négative")
                break
            row[key] = value
        for key, (num_i, den_i) in derived.items():
            if problem:
                break
            try:
                num = float(values[num_i].replace(",", ".")) if values[num_i].strip() else None
                den = float(values[den_i].replace(",", ".")) if den_i is not None and values[den_i].strip() else None
            except ValueError:
                problem = Problem(name, line, header[num_i].upper(), "effectif non numérique")
                break
            if key == "population":
                if num is not None:
                    row["population"] = num
            elif num is not None and den:
                if num > den:
                    problem = Problem(name, line, header[num_i].upper(), f"effectif {num} supérieur à {header[den_i].upper()} ({den})")
                    break
                row[key] = 100 * num / den
        if problem:
            parsed.rejected.append(problem)
            continue
        previous = rows.get(code)
        if previous is not None:
            if not any(k in row for k in indicators):
                empty_duplicates += 1  # an empty repeat carries no information
                continue
            if any(k in previous for k in indicators):
                parsed.rejected.append(Problem(name, line, code_col.upper(), f"code {code} en double (déjà ligne {previous['ligne']}) avec d'autres valeurs"))
                continue
            empty_duplicates += 1  # the earlier empty row gives way
        rows[code] = row
    parsed.rows = list(rows.values())
    if empty_duplicates:
        parsed.notes.append(
            f"{empty_duplicates} code(s) commune répété(s) sur une seconde ligne sans aucune valeur : "
            "la ligne qui porte les valeurs est gardée, la ligne vide ignorée (deux lignes portant des valeurs sont refusées)"
        )
    parsed.columns = indicators
    return parsed
