"""A register brought in from a spreadsheet (ODS or XLSX, one row per activity), as DPOs keep
them before Terrinum: the columns of Terrinum's own export (services.COLUMNS, laid out after
the CNIL's model register) and the usual names of the CNIL's model and of registers kept by
hand (« Nom / sigle », « Finalité principale », « Base juridique », « Durée de conservation »…).
Each column is mapped or reported; a value that cannot be read stops the import, naming file,
line, column and reason, and nothing is written; re-importing the same file changes nothing.
Rules: docs/rgpd.md, « Reprendre un registre »."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.db import transaction

from terrinum.apps.rgpd.models import LEGAL_BASES, MEASURES, OUTCOMES, ROLES, Activite, Collectivite
from terrinum.apps.rgpd.services import MAX_IMPORT_BYTES, Refused, require, save_activity

# Field -> the column names it is read from (compared without case, accents or punctuation).
ALIASES = {
    "nom": ["Activité", "Nom / sigle", "Nom du traitement", "Traitement", "Activité de traitement", "Intitulé"],
    "finalites": ["Finalités", "Finalité principale", "Finalité(s) du traitement", "Finalité", "Objectif"],
    "role": ["Rôle", "En tant que"],
    "responsables_conjoints": ["Responsables conjoints", "Responsable(s) conjoint(s)", "Responsable conjoint"],
    "base_legale": ["Base légale", "Base juridique", "Licéité", "Fondement juridique"],
    "justification": ["Justification de la base légale", "Justification", "Texte de référence"],
    "personnes": ["Catégories de personnes concernées", "Personnes concernées"],
    "donnees": ["Catégories de données", "Catégories de données personnelles concernées", "Données traitées"],
    "sensibles": ["Données sensibles ou NIR", "Données sensibles"],
    "durees": ["Durées de conservation et sort final", "Durée de conservation", "Durées de conservation", "Délai d'effacement"],
    "destinataires": ["Destinataires", "Catégories de destinataires", "Destinataires des données"],
    "transferts": ["Transferts hors UE et garanties", "Transferts des données hors UE", "Transferts hors UE"],
    "mesures": ["Mesures de sécurité", "Mesures de sécurité techniques et organisationnelles"],
    "logiciels": ["Logiciels", "Logiciel", "Outils"],
    "source": ["Source des données", "Origine des données"],
}
# Columns of Terrinum's export it computes itself: read back, they are not imported.
COMPUTED = {
    "AIPD requise": "calculée par Terrinum (critères de la CNIL)",
    "État de l'AIPD": "suivie dans Terrinum",
    "Statut": "le DPO vérifie dans Terrinum",
    "Créée le": "date de création dans Terrinum",
    "Mise à jour": "date de l'import",
}
REQUIRED = ("nom", "finalites", "base_legale")
SEPARATORS = re.compile(r"\s*(?:;|\n|•)\s*")


def _key(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


COLUMN_OF = {_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}
LEGAL = [(key, _key(label)) for key, label in LEGAL_BASES]
LEGAL_WORDS = {  # words people write for each basis
    "consentement": "consentement", "contrat": "contrat", "obligation legale": "obligation-legale", "interets vitaux": "interets-vitaux",
    "mission d interet public": "mission-publique", "mission de service public": "mission-publique", "interet public": "mission-publique",
    "exercice de l autorite publique": "mission-publique", "interet legitime": "interet-legitime", "6 1 a": "consentement", "6 1 b": "contrat",
    "6 1 c": "obligation-legale", "6 1 d": "interets-vitaux", "6 1 e": "mission-publique", "6 1 f": "interet-legitime",
}  # fmt: skip


@dataclass
class Report:
    """What an import did and what it could not take."""

    lignes: int = 0
    creees: list[str] = field(default_factory=list)
    mises_a_jour: list[str] = field(default_factory=list)
    inchangees: list[str] = field(default_factory=list)
    colonnes: dict[str, str] = field(default_factory=dict)  # column -> field
    ignorees: dict[str, str] = field(default_factory=dict)  # column -> why
    valeurs: list[str] = field(default_factory=list)  # values not taken, with their place


def read_rows(raw: bytes, name: str) -> list[list[str]]:
    """The rows of the first sheet of an ODS or XLSX file (read by content), as text."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise Refused(f"{name} : fichier trop lourd (5 Mo au plus)")
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise Refused(f"{name} : ni ODS ni XLSX (un tableur enregistré au format OpenDocument ou Excel est attendu)")
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        names = set(z.namelist())
    try:
        if "content.xml" in names:
            return _ods_rows(raw)
        if "xl/workbook.xml" in names:
            return _xlsx_rows(raw)
    except Exception as exc:  # a damaged spreadsheet: said, named
        raise Refused(f"{name} : tableur illisible ({type(exc).__name__})") from None
    raise Refused(f"{name} : ni ODS ni XLSX (un tableur enregistré au format OpenDocument ou Excel est attendu)")


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _xlsx_rows(raw: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    return [[_cell(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]


def _ods_rows(raw: bytes) -> list[list[str]]:
    from odf import teletype
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow

    doc = load(io.BytesIO(raw))
    sheet = doc.spreadsheet.getElementsByType(Table)[0]
    rows = []
    for row in sheet.getElementsByType(TableRow):
        cells = []
        for cell in row.getElementsByType(TableCell):
            repeat = int(cell.getAttribute("numbercolumnsrepeated") or 1)
            text = "\n".join(teletype.extractText(p) for p in cell.childNodes if p.qname[1] == "p").strip()
            cells += [text] * min(repeat, 100)
        repeat_rows = int(row.getAttribute("numberrowsrepeated") or 1)
        rows += [cells] * (1 if not any(cells) else min(repeat_rows, 1000))
    return rows


def _header(rows: list[list[str]], name: str) -> tuple[int, dict[int, str], Report]:
    """The first row that names the required columns: its mapping, and the columns reported."""
    for i, row in enumerate(rows[:20]):
        mapped = {j: COLUMN_OF[_key(h)] for j, h in enumerate(row) if _key(h) in COLUMN_OF}
        if set(REQUIRED) <= set(mapped.values()):
            report = Report()
            for j, h in enumerate(row):
                if not h:
                    continue
                if j in mapped:
                    report.colonnes[h] = mapped[j]
                elif h in COMPUTED:
                    report.ignorees[h] = COMPUTED[h]
                else:
                    report.ignorees[h] = "colonne non reprise (aucun champ du registre de Terrinum ne lui correspond)"
            return i, mapped, report
    wanted = " ; ".join(f"« {ALIASES[f][0]} » (ou {', '.join('« ' + a + ' »' for a in ALIASES[f][1:3])})" for f in REQUIRED)
    raise Refused(f"{name} : aucune ligne d'en-tête avec les colonnes {wanted} dans les 20 premières lignes")


def _legal_basis(text: str) -> str | None:
    k = _key(text)
    for key, label in LEGAL:
        if k == label or k == key.replace("-", " "):
            return key
    return next((key for words, key in LEGAL_WORDS.items() if words in k), None)


def _choice(text: str, choices) -> str | None:
    k = _key(text)
    return next((key for key, label in choices if _key(label) == k or key.replace("-", " ") == k), None)


def _split(text: str) -> list[str]:
    return [p for p in SEPARATORS.split(text or "") if p and _key(p) not in ("aucun", "aucune", "neant", "sans objet")]


def _activity(values: dict[str, str], place: str, report: Report) -> dict:
    """An activity (the fields of services.ACTIVITY_FIELDS and its data) from one row."""
    missing = [ALIASES[f][0] for f in REQUIRED if not values.get(f)]
    if missing:
        raise Refused(f"{place} : {', '.join(missing)} obligatoire(s)")
    basis = _legal_basis(values["base_legale"])
    if basis is None:
        raise Refused(
            f"{place}, colonne base légale : « {values['base_legale']} » n'est aucune des bases de l'article 6 ({', '.join(label for _, label in LEGAL_BASES)})"
        )
    role = _choice(values.get("role", ""), ROLES) if values.get("role") else "responsable"
    if role is None:
        raise Refused(f"{place}, colonne rôle : « {values['role']} » n'est ni responsable de traitement, ni sous-traitant, ni responsable conjoint")
    measures = []
    for m in _split(values.get("mesures", "")):
        key = _choice(m, MEASURES)
        if key is None:
            report.valeurs.append(f"{place}, mesures de sécurité : « {m} » n'est pas une mesure de la liste (gardée dans les recommandations à reprendre)")
        elif key not in measures:
            measures.append(key)
    marked = _split(values.get("sensibles", ""))
    sensitive = {_key(s.split("(")[0]) for s in marked}
    nir = {_key(s.split("(")[0]) for s in marked if "nir" in _key(s)}
    durations = _durations(values.get("durees", ""))
    data = []
    for category in _split(values.get("donnees", "")):
        duration, outcome = durations.get(_key(category)) or durations.get("*") or ("", "destruction")
        if not duration:
            raise Refused(f"{place}, colonne durées de conservation : aucune durée pour « {category} »")
        data.append({"categorie": category, "duree": duration, "sort_final": outcome, "sensible": _key(category) in sensitive, "nir": _key(category) in nir})
    recipients = []
    for r in _split(values.get("destinataires", "")):
        m = re.match(r"(.*?)\s*\((interne|externe|sous-traitant)\)$", r)
        recipients.append({"nom": m.group(1), "type": m.group(2)} if m else {"nom": r, "type": "externe"})
    transfers, _, safeguards = (values.get("transferts", "") or "").partition(" — garanties : ")
    if _key(transfers) in ("aucun", "non", "neant", ""):
        transfers = ""
    return {
        "nom": values["nom"].strip()[:200],
        "finalites": values["finalites"].strip(),
        "role": role,
        "base_legale": basis,
        "justification": values.get("justification", "").strip(),
        "responsables_conjoints": values.get("responsables_conjoints", "").strip(),
        "personnes": _split(values.get("personnes", "")),
        "destinataires": recipients,
        "transferts": transfers.strip(),
        "garanties": safeguards.strip(),
        "mesures": measures,
        "logiciels": values.get("logiciels", "").strip()[:300],
        "source": values.get("source", "").strip()[:300],
        "donnees": data,
    }


def _durations(text: str) -> dict[str, tuple[str, str]]:
    """« catégorie : durée (sort final) ; … » per category; a value without categories applies
    to every category (key "*")."""
    out = {}
    for part in _split(text):
        category, sep, rest = part.partition(" : ")
        if not sep:
            category, rest = "*", part
        m = re.match(r"(.*?)\s*\(([^()]*)\)$", rest)
        outcome = _choice(m.group(2), OUTCOMES) if m else None
        out[_key(category) if category != "*" else "*"] = ((m.group(1) if m and outcome else rest).strip(), outcome or "destruction")
    return out


def _same(a: Activite, item: dict) -> bool:
    fields = [f for f in item if f != "donnees"]
    if any(getattr(a, f) != item[f] for f in fields):
        return False
    have = [(d.categorie, d.duree, d.sort_final, d.sensible, d.nir) for d in a.donnees.all()]
    return have == [(d["categorie"], d["duree"], d["sort_final"], d["sensible"], d["nir"]) for d in item["donnees"]]


def import_spreadsheet(c: Collectivite, raw: bytes, name: str, who) -> Report:
    """Bring a spreadsheet register into a collectivité, in one transaction: an activity
    found by name is updated, a new one created (as a draft, for the DPO to verify), an
    identical one left as it is. Returns what was done and what was not taken."""
    require(who, c, "modifier")
    rows = read_rows(raw, name)
    start, mapped, report = _header(rows, name)
    seen = set()
    with transaction.atomic():
        for n, row in enumerate(rows[start + 1 :], start=start + 2):
            values = {f: (row[j] if j < len(row) else "") for j, f in mapped.items()}
            if not any(values.values()):
                continue
            place = f"{name}, ligne {n}"
            item = _activity(values, place, report)
            if item["nom"] in seen:
                raise Refused(f"{place} : l'activité « {item['nom']} » figure deux fois dans le fichier")
            seen.add(item["nom"])
            report.lignes += 1
            existing = Activite.objects.filter(collectivite=c, nom=item["nom"]).first()
            if existing is not None and _same(existing, item):
                report.inchangees.append(item["nom"])
                continue
            a = existing or Activite(collectivite=c)
            for f, v in item.items():
                if f != "donnees":
                    setattr(a, f, v)
            try:
                save_activity(a, who, donnees=item["donnees"])
            except Refused as exc:
                raise Refused(f"{place} : {exc}") from None
            (report.mises_a_jour if existing else report.creees).append(item["nom"])
    return report


def summary(report: Report) -> str:
    """The report in one sentence, for the page and the command line."""
    return (
        f"{report.lignes} activité(s) lue(s) : {len(report.creees)} créée(s) (en brouillon, à vérifier), "
        f"{len(report.mises_a_jour)} mise(s) à jour, {len(report.inchangees)} inchangée(s) ; "
        f"{len(report.colonnes)} colonne(s) reprise(s), {len(report.ignorees)} non reprise(s)"
        + (f", {len(report.valeurs)} valeur(s) non reprise(s)" if report.valeurs else "")
        + "."
    )
