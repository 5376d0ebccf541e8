"""What every source parser shares: errors that name file, line, field and reason; text
decoding (UTF-8, cp1252/latin-1 all occur in published files); delimiter detection;
French number formats."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One rejected row (or a whole-file problem when `line` is None)."""

    file: str
    line: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file + (f", ligne {self.line}" if self.line is not None else "")
        what = f", champ « {self.field} »" if self.field else ""
        return f"{where}{what} : {self.reason}"


class SourceError(ValueError):
    """The whole file is refused; nothing is loaded."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class Parsed:
    """Canonical rows of one file, with what was rejected and what the parser found."""

    rows: list[dict] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    read: int = 0
    millesime: str | None = None
    notes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # value columns a long-format file carries
    # Per-building files the parser wrote in a staging folder it was given (positions, the
    # buildings below 30 Mbit/s), per département, and what each partition read and wrote:
    # the importer moves them beside the warehouse once its transaction is committed.
    staged: Path | None = None
    partitions: dict = field(default_factory=dict)
    # Invented rows (synthetic files): loaded labelled as demonstration values, never as data.
    invented: bool = False


GZIP_MAGIC = b"\x1f\x8b"


# What reading a damaged gzip file raises: truncated (EOFError), a bad header (OSError), a
# corrupt stream inside (zlib.error).
GZIP_ERRORS = (OSError, EOFError, zlib.error)


def gzip_refusal(name: str, exc: Exception) -> Problem:
    """Why a gzip file is refused: truncated (its end is missing) or unreadable."""
    reason = "tronqué (fin de l'archive manquante)" if isinstance(exc, EOFError) else f"illisible ({exc})"
    return Problem(name, None, None, f"fichier compressé (gzip) {reason} : rien n'est lu")


def read_text(path: Path) -> tuple[str, str]:
    """Decode a published text file, gzip-compressed or not (ARCEP publishes both): UTF-8
    (with or without BOM), else cp1252 (a superset of latin-1 for printable characters).
    Returns (text, encoding). A damaged or truncated gzip file is refused as such."""
    raw = path.read_bytes()
    if raw.startswith(GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except GZIP_ERRORS as exc:
            raise SourceError(gzip_refusal(path.name, exc)) from None
    nul = raw.find(b"\x00")
    if nul >= 0:  # never stored: a NUL byte is no text (and would make a look-alike duplicate)
        line = raw.count(b"\n", 0, nul) + 1
        raise SourceError(
            Problem(path.name, line, None, "caractère nul (octet 0) dans la ligne : fichier binaire, ou encodé en UTF-16 ? Enregistrez-le en UTF-8")
        )
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def sniff_delimiter(header_line: str, candidates: str = ";,\t") -> str:
    counts = {d: header_line.count(d) for d in candidates}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise ValueError("aucun séparateur reconnu (attendu : « ; », « , » ou tabulation)")
    return best


_CSV_REASONS = {
    "field larger than field limit": "champ de plus de 131 072 caractères (fichier corrompu ou qui n'est pas un CSV ?)",
    "new-line character seen in unquoted field": "retour à la ligne inattendu dans un champ (fichier tronqué ou mal encodé ?)",
    "line contains NUL": "caractère nul dans la ligne (fichier binaire, ou encodé en UTF-16 ?)",
    "unexpected end of data": "fin de fichier au milieu d'un champ entre guillemets (fichier tronqué ?)",
}


class CheckedReader:
    """`csv.reader` whose parsing errors are refusals naming the file and the line."""

    def __init__(self, name: str, lines, **options):
        self.name = name
        self._reader = csv.reader(lines, **options)

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            reason = next((fr for en, fr in _CSV_REASONS.items() if str(exc).startswith(en)), f"ligne CSV illisible ({exc})")
            raise SourceError(Problem(self.name, self._reader.line_num or None, None, reason)) from None


def open_delimited(path: Path, candidates: str = ";,\t"):
    """A delimited text file: decoded, refused when empty, delimiter sniffed on the header.
    Returns (header values, csv reader positioned on the first data line)."""
    text, _ = read_text(path)
    lines = text.splitlines()
    if not lines:
        raise SourceError(Problem(path.name, None, None, "fichier vide"))
    try:
        delim = sniff_delimiter(lines[0], candidates)
    except ValueError as exc:
        raise SourceError(Problem(path.name, 1, None, str(exc))) from None
    reader = CheckedReader(path.name, io.StringIO(text), delimiter=delim)
    return [c.strip() for c in next(reader)], reader


def find_header(lines: list[str], required: set[str], name: str, max_lines: int = 10) -> tuple[int, str, list[str]]:
    """Index of the header line among the first lines (files may start with free-text
    title lines), its delimiter and its normalised column names."""
    for i, line in enumerate(lines[:max_lines]):
        try:
            delim = sniff_delimiter(line)
        except ValueError:
            continue
        columns = [c.strip().strip('"').strip().lower() for c in next(CheckedReader(name, [line], delimiter=delim))]
        if required <= set(columns):
            return i, delim, columns
    raise SourceError(Problem(name, None, None, f"en-tête introuvable : colonnes attendues {', '.join(sorted(required))}"))


def csv_rows(text: str, start: int, delim: str, name: str):
    """(line number, values) for each data line after the header at index `start`."""
    reader = CheckedReader(name, io.StringIO(text), delimiter=delim)
    for index, values in enumerate(reader):
        if index <= start:
            continue
        if not any(v.strip() for v in values):
            continue
        yield index + 1, values


def table_rows(text: str, start: int, delim: str, columns: list[str], name: str, parsed: Parsed, strip_quotes: bool = False):
    """(line number, values) of each data row, counting it as read; a row with fewer values
    than columns is rejected (file, line, reason) and not yielded."""
    for line, values in csv_rows(text, start, delim, name):
        parsed.read += 1
        if strip_quotes:
            values = [v.strip().strip('"') for v in values]
        if len(values) < len(columns):
            parsed.rejected.append(Problem(name, line, None, f"{len(values)} valeurs pour {len(columns)} colonnes"))
            continue
        yield line, values


_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def french_int(value: str | None) -> int | None:
    """ " 12 218    " -> 12218; " -    " (published zero) -> 0; "" -> None.
    Raises ValueError on anything else."""
    if value is None:
        return None
    text = _SPACES.sub("", value)
    if text == "":
        return None
    if text == "-":
        return 0
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"« {value.strip()} » n'est pas un nombre entier")
    return int(text)


def departement_of(code: str) -> str | None:
    """Département of a commune code, from the code itself (97x overseas, 2A/2B Corsica)."""
    code = code.strip().upper()
    if re.fullmatch(r"97\d{3}", code):
        return code[:3]
    if re.fullmatch(r"(\d{2}|2[AB])\d{3}", code):
        return code[:2]
    return None


def quarter_of_date(value: str) -> str:
    """ "2019-09-30" -> "2019T3"."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-\d{2}", value.strip())
    if not m:
        raise ValueError(f"date « {value} » illisible (attendu AAAA-MM-JJ)")
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"mois impossible dans « {value} »")
    return f"{m.group(1)}T{(month - 1) // 3 + 1}"


MILLESIME = re.compile(r"^(\d{4})T([1-4])$")


def check_millesime(value: str) -> str:
    """A quarter AAAATn; SourceError (a ValueError) naming --millesime otherwise."""
    v = value.strip().upper()
    if not MILLESIME.match(v):
        raise SourceError(Problem("--millesime", None, None, f"millésime « {value} » invalide (attendu AAAAT[1-4], ex. 2019T3)"))
    return v


DATE_FORMATS = (re.compile(r"^(\d{4})-(\d{2})-(\d{2})"), re.compile(r"^(\d{2})/(\d{2})/(\d{4})$"))


def parse_date(value: str):
    """ISO (2018-07-05) or French (05/07/2018) date, else None."""
    import datetime as dt

    v = value.strip()
    m = DATE_FORMATS[0].match(v)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = DATE_FORMATS[1].match(v)
    if m:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None


def add_months(day, months: int):
    import calendar
    import datetime as dt

    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reject_duplicates(parsed: Parsed, file: str, key: tuple[str, ...] = (), label: str | None = None) -> int:
    """Reject the rows whose `key` (row fields; empty: the whole row) repeats an earlier row's,
    identical duplicates included: a row counted twice would add its figures twice. Each is
    a rejected row naming its line and the line it repeats; returns how many."""
    seen: dict[tuple, int | None] = {}
    kept, rejected = [], 0
    for row in parsed.rows:
        fields = key or tuple(k for k in row if k != "ligne")
        value = tuple(row.get(k) if k != "millesime" else row.get(k) or parsed.millesime for k in fields)
        if value in seen:
            first = seen[value]
            what = ", ".join(str(v) for v in value) if key else "la même ligne"
            parsed.rejected.append(
                Problem(
                    file,
                    row.get("ligne"),
                    label or ", ".join(fields) if key else None,
                    f"{what} déjà présent{f' ligne {first}' if first else ''} : compté deux fois sinon",
                )
            )
            rejected += 1
            continue
        seen[value] = row.get("ligne")
        kept.append(row)
    parsed.rows = kept
    return rejected
