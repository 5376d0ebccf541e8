"""ARCEP "Ma connexion internet", per-commune statistics (`commune_debit*.csv`).

Three header generations are published (see ../shared/data/real/PROVENANCE.md):
2019 beta (`elig_hd8`), 2020 (`elig_cd_1`..`elig_cd_6`), current (`elig_bhd8`); and two
semantics: exclusive speed classes that sum to `nbr` (2019 beta) or cumulative thresholds
(current). The parser detects the semantics from the rows themselves, checks every row
against it, and reports which it found.
"""

from __future__ import annotations

from pathlib import Path

from terrinum.sources.common import Parsed, Problem, SourceError, check_millesime, departement_of, find_header, quarter_of_date, read_text, table_rows

CLASSES = ["hd05", "hd3", "hd8", "thd30", "thd100", "thd1g"]
GENERATIONS = {
    "2019 (elig_hd8)": ["elig_hd05", "elig_hd3", "elig_hd8", "elig_thd30", "elig_thd100", "elig_thd1g"],
    "2020 (elig_cd_1..6)": ["elig_cd_1", "elig_cd_2", "elig_cd_3", "elig_cd_4", "elig_cd_5", "elig_cd_6"],
    "actuelle (elig_bhd8)": ["elig_hd05", "elig_hd3", "elig_bhd8", "elig_thd30", "elig_thd100", "elig_thd1g"],
}
# When every row fits both semantics (possible only in degenerate files), the generation decides.
DEFAULT_SEMANTICS = {"2019 (elig_hd8)": "exclusive", "2020 (elig_cd_1..6)": "cumulative", "actuelle (elig_bhd8)": "cumulative"}
SEMANTICS_LABEL = {
    "exclusive": "classes exclusives dont la somme vaut nbr (chaque local compté dans sa meilleure classe)",
    "cumulative": "seuils cumulés (locaux ayant au moins ce débit)",
}
MIN_CONSISTENT_SHARE = 0.9


def _generation(columns: list[str], name: str) -> str:
    for label, cols in GENERATIONS.items():
        if set(cols) <= set(columns):
            return label
    if "nbr_elig_8" in columns:
        raise SourceError(
            Problem(name, None, None, "fichier « meilleure technologie » : ce n'est pas une statistique de débit par commune (commune_debit*.csv)")
        )
    raise SourceError(Problem(name, None, None, "colonnes de débit introuvables (elig_hd8, elig_cd_1..6 ou elig_bhd8 attendues)"))


def _fits(semantics: str, nbr: int, inel: int | None, values: list[int]) -> str | None:
    """None when the row is consistent with the semantics, else the reason it is not."""
    if semantics == "exclusive":
        total = (inel or 0) + sum(values)
        return None if total == nbr else f"la somme des classes ({total}) diffère de nbr ({nbr})"
    chain = [nbr] + values
    for higher, (a, b) in zip(["nbr"] + CLASSES, zip(chain, chain[1:])):
        if b > a:
            return f"seuils cumulés croissants : {b} locaux au-delà de {higher} qui n'en compte que {a}"
    return None


def parse(path: Path, millesime: str | None = None) -> Parsed:
    name = path.name
    text, encoding = read_text(path)
    lines = text.splitlines()
    start, delim, columns = find_header(lines, {"code_insee", "nbr"}, name)
    generation = _generation(columns, name)
    class_cols = GENERATIONS[generation]
    idx = {c: i for i, c in enumerate(columns)}
    parsed = Parsed()
    parsed.notes.append(f"encodage {encoding}, séparateur « {delim} », en-tête génération {generation}")
    if start:
        parsed.notes.append(f"{start} ligne(s) de texte libre avant l'en-tête ignorée(s)")

    candidates = []
    dates = set()
    for line, values in table_rows(text, start, delim, columns, name, parsed):
        code = values[idx["code_insee"]].strip().upper()
        if departement_of(code) is None:
            parsed.rejected.append(Problem(name, line, "code_insee", f"code commune « {code} » invalide"))
            continue
        try:
            numbers = {}
            for col in ["nbr", "inel_hd", *class_cols]:
                if col not in idx:
                    continue
                raw = values[idx[col]].strip()
                if not (raw.lstrip("-").isascii() and raw.lstrip("-").isdigit()):  # "²" is a digit to isdigit()
                    raise ValueError(col, f"« {raw} » n'est pas un nombre entier")
                if int(raw) < 0:
                    raise ValueError(col, f"valeur négative {raw}")
                numbers[col] = int(raw)
        except ValueError as exc:
            parsed.rejected.append(Problem(name, line, exc.args[0], exc.args[1]))
            continue
        if "date" in idx:
            dates.add(values[idx["date"]].strip())
        dep = values[idx["code_dep"]].strip().upper() if "code_dep" in idx else None
        candidates.append(
            (line, code, values[idx["nom_com"]].strip() if "nom_com" in idx else None,
             dep or departement_of(code), numbers["nbr"], numbers.get("inel_hd"), [numbers[c] for c in class_cols])
        )  # fmt: skip

    if not candidates:
        raise SourceError(Problem(name, None, None, "aucune ligne exploitable"))
    fits = {s: sum(1 for c in candidates if _fits(s, c[4], c[5], c[6]) is None) for s in ("exclusive", "cumulative")}
    n = len(candidates)
    if fits["exclusive"] == fits["cumulative"] == n:
        semantics = DEFAULT_SEMANTICS[generation]
        parsed.notes.append("toutes les lignes sont compatibles avec les deux sémantiques : celle de la génération d'en-tête est retenue")
    else:
        semantics = max(fits, key=fits.get)
    if fits[semantics] < MIN_CONSISTENT_SHARE * n:
        raise SourceError(
            Problem(
                name,
                None,
                None,
                f"ni classes exclusives ({fits['exclusive']}/{n} lignes cohérentes) ni seuils cumulés ({fits['cumulative']}/{n}) : fichier refusé",
            )
        )
    parsed.notes.append(f"sémantique détectée : {SEMANTICS_LABEL[semantics]} ({fits[semantics]}/{n} lignes cohérentes)")

    if dates:
        if len(dates) > 1:
            raise SourceError(Problem(name, None, "date", f"plusieurs dates dans un même fichier : {', '.join(sorted(dates))}"))
        try:
            from_file = quarter_of_date(dates.pop())
        except ValueError as exc:
            raise SourceError(Problem(name, None, "date", str(exc))) from exc
        if millesime and check_millesime(millesime) != from_file:
            raise SourceError(Problem(name, None, "date", f"--millesime {millesime} contredit la colonne date du fichier ({from_file})"))
        parsed.millesime = from_file
    elif millesime:
        parsed.millesime = check_millesime(millesime)
    else:
        raise SourceError(Problem(name, None, "date", "pas de colonne date : précisez --millesime (ex. 2019T3)"))

    for line, code, nom, dep, nbr, inel, values in candidates:
        reason = _fits(semantics, nbr, inel, values)
        if reason:
            parsed.rejected.append(Problem(name, line, "nbr" if semantics == "exclusive" else None, reason))
            continue
        if semantics == "exclusive":
            cumulative = [sum(values[i:]) for i in range(len(values))]
        else:
            cumulative = values
        _, _, c8, c30, c100, c1g = cumulative
        parsed.rows.append(
            {
                "ligne": line,
                "code_source": code,
                "nom_source": nom,
                "code_departement": dep,
                "locaux": nbr,
                "locaux_8mbits": c8,
                "locaux_30mbits": c30,
                "locaux_100mbits": c100,
                "locaux_1gbits": c1g,
            }
        )
    return parsed
