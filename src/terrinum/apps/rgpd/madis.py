"""Registers brought in from Madis, the RGPD register many shared DPOs use today: the CSV
exports a DPO downloads from Madis's « Exporter » menu — treatments and contractors, for every
collectivité of the structure at once (one row per treatment or contractor, « Structure -
Nom » naming its collectivité; `;`-separated, UTF-8 with a BOM; the columns are those of
Madis's `Reporting/Generator/Csv` generators, labels in French).

Each row goes to the collectivité it names (by name, else by INSEE code), among those the
structure serves; collectivités not yet in Terrinum are created and enrolled on request, or
named and nothing is written. Every column is mapped or reported; a value that cannot be read
stops the import, naming file, line, column and reason; one transaction; re-importing the same
files changes nothing. Treatments whose legal basis is « À déterminer » in Madis are not
imported (Terrinum's register requires one): they are listed with their line. Rules:
docs/rgpd.md, « Reprendre un registre tenu dans Madis »."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from terrinum.accounts.models import Organisation
from terrinum.apps.rgpd import services, tableur
from terrinum.apps.rgpd.models import Activite, Collectivite, SousTraitant
from terrinum.apps.rgpd.services import MAX_IMPORT_BYTES, Refused, require, save_activity, trace

PEOPLE = ["Particuliers", "Internautes", "Salariés", "Élus", "Professionnels", "Partenaires", "Usagers", "Autres"]
PEOPLE_PREFIX = "Détails - Personnes concernées - "
SECURITY_PREFIX = "Mesures de sécurité et confidentialité - "
SECURITY = {
    "Contrôle d'accès": "controle-acces", "Traçabilité": "tracabilite", "Sauvegarde": "sauvegardes", "Mise à jour": "mises-a-jour",
    "Les spécificités de sensibilisation liées à ce traitement sont délivrées": "sensibilisation",
}  # fmt: skip
SPECIFIC_PREFIX = "Traitement spécifique - "
SPECIFIC = {
    "Surveillance systématique": "surveillance", "Collecte à large échelle": "grande-echelle", "Personnes vulnérables": "personnes-vulnerables",
    "Croisement de données": "croisement", "Évaluation ou notation": "evaluation", "Décisions automatisées avec effet": "decision-automatique",
    "Usage innovant": "usage-innovant",
}  # fmt: skip
# Madis's data categories held sensitive (art. 9) in its reference list, and the NIR
SENSITIVE = {"Santé", "Numéro de Sécurité Sociale", "Appartenance Syndicale", "Opinion politique ou religieuse", "Origine raciale ou ethnique", "Vie sexuelle"}
NIR = {"Numéro de Sécurité Sociale"}
FATES = {"Destruction": "destruction", "Conservation": "archives", "Versement": "archives", "Tri": "archives", "Non déterminé": "destruction"}
ROLES = {"Responsable de traitement": "responsable", "Sous-traitant": "sous-traitant", "Responsabilité conjointe": "conjoint"}
UNDECIDED = "À déterminer"
TREATMENT_REQUIRED = ("Nom", "Structure - Nom", "Finalités", "Base légale")
CONTRACTOR_REQUIRED = ("Nom", "Structure - Nom")
# Columns read from a treatment row (the others are reported, with why).
TREATMENT_READ = {
    "Nom", "Structure - Nom", "Structure - SIREN", "Structure - Code INSEE", "En tant que", "Coordonnées du responsable de traitement", "Finalités",
    "Base légale", "Justification de la base légale", "Préconisations", "Catégorie de données", "Catégorie des données - Autres catégories",
    "Destination - Catégorie de destinataires", "Destination - Sous-traitants", "Historique - Date de création", "Détails - Logiciels et supports",
    "Détails - Délai de conservation - Durée", "Détails - Délai de conservation - Nom", "Détails - Délai de conservation - Sort final",
    "Détails - Origine des données", "État",
    *(PEOPLE_PREFIX + p for p in PEOPLE), *(PEOPLE_PREFIX + p + " - Commentaire" for p in PEOPLE),
    *(SECURITY_PREFIX + s for s in SECURITY), *(SECURITY_PREFIX + s + " - Commentaire" for s in [*list(SECURITY)[:4], "Autres"]),
    *(SPECIFIC_PREFIX + s for s in SPECIFIC),
}  # fmt: skip
NOT_TAKEN = {
    "Gestionnaire": "le service gestionnaire n'a pas de champ dans le registre de Terrinum",
    "Observations": "observations internes de Madis",
    "Registre public": "la publication se décide par collectivité dans Terrinum",
    "Est exempté d'AIPD": "Terrinum calcule le besoin d'analyse d'impact (critères de la CNIL)",
    "Historique - Créé par": "auteur dans Madis",
    "Historique - Date de modification": "date de l'import dans Terrinum",
    "Détails - Nombre de personnes concernées": "pas de champ dans le registre de Terrinum",
    "Détails - Traitement papier": "pas de champ dans le registre de Terrinum",
    "Détails - Moyens de la collecte": "pas de champ dans le registre de Terrinum",
    "Traitement spécifique - Exclusion automatique d'un service": "pas parmi les critères de la CNIL retenus par Terrinum",
    "Nb Preuves": "les preuves restent dans Madis",
}


@dataclass
class MadisReport:
    lignes: int = 0
    collectivites_creees: list[str] = field(default_factory=list)
    creees: list[str] = field(default_factory=list)  # « collectivité : nom »
    mises_a_jour: list[str] = field(default_factory=list)
    inchangees: list[str] = field(default_factory=list)
    non_importees: list[str] = field(default_factory=list)  # with line and why
    colonnes: list[str] = field(default_factory=list)
    ignorees: dict[str, str] = field(default_factory=dict)
    valeurs: list[str] = field(default_factory=list)


def summary(report: MadisReport, what: str = "traitement") -> str:
    return (
        f"{report.lignes} {what}(s) lu(s) : {len(report.creees)} créé(s), {len(report.mises_a_jour)} mis à jour, {len(report.inchangees)} inchangé(s)"
        + (f", {len(report.non_importees)} non importé(s)" if report.non_importees else "")
        + (f" ; {len(report.collectivites_creees)} collectivité(s) créée(s)" if report.collectivites_creees else "")
        + f" ; {len(report.colonnes)} colonne(s) reprise(s), {len(report.ignorees)} non reprise(s)."
    )


def read_csv(raw: bytes, name: str) -> list[dict[str, str]]:
    """The rows of a Madis CSV export (`;`, UTF-8 with or without BOM), as {column: text}."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise Refused(f"{name} : fichier trop lourd (5 Mo au plus)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(f"{name} : pas un CSV en UTF-8 (l'export de Madis l'est)") from None
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"'))
    if not rows:
        raise Refused(f"{name} : fichier vide")
    header = [h.strip() for h in rows[0]]
    return [
        dict(zip(header, [c.strip() for c in r], strict=False)) | {"__ligne__": str(n)} for n, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)
    ]


def _check_header(rows: list[dict], raw_first: list[str], required, name: str, what: str) -> None:
    missing = [c for c in required if c not in raw_first]
    if missing:
        raise Refused(f"{name} : ce n'est pas l'export des {what} de Madis (colonnes absentes : {', '.join(missing)})")


def _header(raw: bytes) -> list[str]:
    first = raw.decode("utf-8-sig", errors="replace").splitlines()[:1]
    return [h.strip() for h in next(csv.reader(first, delimiter=";"))] if first else []


def _begin(structure: Organisation, raw: bytes, name: str, who, required, read: set[str], what: str) -> tuple[list[dict], MadisReport]:
    """A Madis export checked (its author, its columns) and read; the report of its columns."""
    _require_structure(structure, who)
    header = _header(raw)
    rows = read_csv(raw, name)
    _check_header(rows, header, required, name, what)
    report = MadisReport()
    _columns(header, read, report)
    return rows, report


def _served(structure: Organisation, rows: list[dict], name: str, create: bool) -> dict[str, Collectivite]:
    """The collectivités the structure serves, by name and INSEE code; without `create`, the
    rows naming another are refused (_unknown)."""
    found = Collectivite.objects.filter(organisation__in=structure.collectivites_servies.all()).select_related("organisation")
    out = {}
    for c in found:
        out[tableur._key(c.organisation.nom)] = c
        if c.insee:
            out[f"insee:{c.insee}"] = c
    if not create:
        _unknown(rows, out, name)
    return out


def _collectivite(row: dict, served: dict, structure: Organisation, create: bool, report: MadisReport, who) -> Collectivite | None:
    name, insee = row.get("Structure - Nom", ""), row.get("Structure - Code INSEE", "")
    found = served.get(tableur._key(name)) or (served.get(f"insee:{insee}") if insee else None)
    if found is not None or not create:
        return found
    org, _ = Organisation.objects.get_or_create(nom=name, type=Organisation.COLLECTIVITE)
    found = services.enrol(structure, org, "commune" if len(insee) == 5 else "autre", insee if len(insee) == 5 else "", insee[:2] if len(insee) == 5 else "")
    served[tableur._key(name)] = found
    if insee:
        served[f"insee:{insee}"] = found
    report.collectivites_creees.append(name)
    trace(found, who, "collectivite", found, name, "créée à l'import de Madis")
    return found


def _require_structure(structure: Organisation, who) -> None:
    if structure.type != Organisation.MUTUALISATION:
        raise Refused(f"« {structure.nom} » n'est pas une structure de mutualisation")
    if structure not in services.hosting_structures(who):
        raise Refused("seul le DPO ou un administrateur de la structure importe ses registres", 403)


def import_files(structure: Organisation, who, files: list[tuple[str, bytes]], create: bool = False) -> list[tuple[str, MadisReport]]:
    """Madis's exports, each recognised by its columns (treatments, contractors), in one
    transaction: treatments first, so that each contractor is linked to the activities it
    serves (its « Traitements » column)."""
    kinds = []
    for name, raw in files:
        header = _header(raw)
        if "Finalités" in header:
            kinds.append(("traitement", name, raw))
        elif "Clauses contractuelles vérifiées" in header or "DPD - Le sous-traitant a désigné un DPD" in header:
            kinds.append(("sous-traitant", name, raw))
        else:
            raise Refused(
                f"{name} : ni l'export des traitements ni celui des sous-traitants de Madis (colonne « Finalités » ou « Clauses contractuelles vérifiées » attendue)"
            )
    out = []
    with transaction.atomic():
        for kind, name, raw in sorted(kinds, key=lambda k: k[0] != "traitement"):
            job = import_contractors if kind == "sous-traitant" else import_treatments
            out.append((kind, job(structure, raw, name, who, create)))
    return out


def _unknown(rows, served, name: str) -> None:
    unknown = {}
    for row in rows:
        key, insee = tableur._key(row.get("Structure - Nom", "")), row.get("Structure - Code INSEE", "")
        if key not in served and not (insee and f"insee:{insee}" in served):
            unknown.setdefault(row.get("Structure - Nom", "") or "(vide)", row["__ligne__"])
    if unknown:
        listed = ", ".join(f"« {n} » (ligne {line})" for n, line in list(unknown.items())[:10])
        raise Refused(
            f"{name} : collectivité(s) que la structure ne sert pas encore : {listed} — ajoutez-les (« terrinum rgpd adherer ») "
            "ou importez en les créant ; rien n'est écrit"
        )


def _yes(value: str) -> bool:
    return tableur._key(value) == "oui"


def _numbered(text: str) -> list[str]:
    """Madis's multi-valued cells: « 1: 5 ans \\r\\n2: 1 an » → ["5 ans", "1 an"]."""
    out = []
    for line in (text or "").replace("\r", "").split("\n"):
        line = line.strip()
        if not line:
            continue
        head, sep, rest = line.partition(":")
        out.append(rest.strip() if sep and head.strip().isdigit() else line)
    return out


def _treatment(row: dict, place: str, report: MadisReport) -> dict | None:
    basis_text = row.get("Base légale", "")
    if basis_text == UNDECIDED:
        report.non_importees.append(f"{place} : « {row.get('Nom')} » — base légale « À déterminer » dans Madis (à choisir, puis réimporter)")
        return None
    basis = tableur._legal_basis(basis_text) or ("interets-vitaux" if tableur._key(basis_text) == "l interet vital" else None)
    if basis is None:
        raise Refused(f"{place}, colonne « Base légale » : « {basis_text} » n'est aucune des bases de Madis ni de l'article 6")
    role_text = row.get("En tant que", "") or "Responsable de traitement"
    role = ROLES.get(role_text)
    if role is None:
        raise Refused(f"{place}, colonne « En tant que » : « {role_text} » n'est ni {', '.join(ROLES)}")
    people = []
    for p in PEOPLE:
        if _yes(row.get(PEOPLE_PREFIX + p, "")):
            comment = row.get(PEOPLE_PREFIX + p + " - Commentaire", "")
            people.append(f"{p} ({comment})" if comment else p)
    measures = [key for label, key in SECURITY.items() if _yes(row.get(SECURITY_PREFIX + label, ""))]
    notes = [
        f"{label} : {row[SECURITY_PREFIX + label + ' - Commentaire']}" for label in [*SECURITY, "Autres"] if row.get(SECURITY_PREFIX + label + " - Commentaire")
    ]
    criteria = [key for label, key in SPECIFIC.items() if _yes(row.get(SPECIFIC_PREFIX + label, ""))]
    durations = _numbered(row.get("Détails - Délai de conservation - Durée", ""))
    duration_names = _numbered(row.get("Détails - Délai de conservation - Nom", ""))
    fates = _numbered(row.get("Détails - Délai de conservation - Sort final", ""))
    for fate in fates:
        if fate not in FATES:
            raise Refused(f"{place}, colonne « Détails - Délai de conservation - Sort final » : « {fate} » n'est aucun des sorts finals de Madis")
    kept = " ; ".join(f"{n} : {d}" if n else d for d, n in zip(durations, [*duration_names, *[""] * len(durations)], strict=False)) if durations else ""
    outcome = FATES[fates[0]] if fates else "destruction"
    if not kept:
        kept = "à préciser (aucune durée dans Madis)"
        report.valeurs.append(f"{place} : « {row.get('Nom')} » — aucune durée de conservation dans Madis (« à préciser »)")
    categories = [c for c in (row.get("Catégorie de données", "") or "").split(" - ") if c.strip()]
    categories += [c for c in tableur._split(row.get("Catégorie des données - Autres catégories", ""))]
    data = [
        {"categorie": c.strip(), "duree": kept[:200], "sort_final": outcome, "sensible": c.strip() in SENSITIVE, "nir": c.strip() in NIR} for c in categories
    ]
    recipients = [{"nom": r, "type": "externe"} for r in tableur._split(row.get("Destination - Catégorie de destinataires", ""))]
    recipients += [{"nom": r.strip(), "type": "sous-traitant"} for r in (row.get("Destination - Sous-traitants", "") or "").split(" - ") if r.strip()]
    created = None
    if row.get("Historique - Date de création"):
        try:
            created = dt.datetime.strptime(row["Historique - Date de création"], "%d/%m/%Y à %H:%M").replace(tzinfo=timezone.get_current_timezone())
        except ValueError:
            raise Refused(
                f"{place}, colonne « Historique - Date de création » : « {row['Historique - Date de création']} » n'est pas une date « JJ/MM/AAAA à HH:MM »"
            ) from None
    advice = "\n".join(x for x in (row.get("Préconisations", ""), "\n".join(notes)) if x)
    return {
        "nom": row["Nom"][:200],
        "finalites": row.get("Finalités", ""),
        "role": role,
        "base_legale": basis,
        "justification": row.get("Justification de la base légale", ""),
        "responsables_conjoints": "responsabilité conjointe (Madis) : à compléter" if role == "conjoint" else "",
        "pour_le_compte_de": "",
        "personnes": people,
        "destinataires": recipients,
        "mesures": measures,
        "criteres_aipd": criteria,
        "logiciels": row.get("Détails - Logiciels et supports", "")[:300],
        "source": row.get("Détails - Origine des données", "")[:300],
        "recommandations": advice,
        "donnees": data,
        "_cree_le": created,
        "_inactive": row.get("État") == "Inactif",
        "_contact": row.get("Coordonnées du responsable de traitement", ""),
    }


def _columns(header: list[str], read: set[str], report: MadisReport) -> None:
    for h in header:
        if not h:
            continue
        if h in read:
            report.colonnes.append(h)
        else:
            report.ignorees[h] = NOT_TAKEN.get(h) or (
                "conformité du traitement évaluée dans Madis : à reprendre dans Terrinum" if h.startswith("Conformité") else "colonne non reprise"
            )


def import_treatments(structure: Organisation, raw: bytes, name: str, who, create: bool = False) -> MadisReport:
    """The treatments of a Madis export, each into its collectivité's register."""
    rows, report = _begin(structure, raw, name, who, TREATMENT_REQUIRED, TREATMENT_READ, "traitements")
    with transaction.atomic():
        served = _served(structure, rows, name, create)
        seen = set()
        for row in rows:
            place = f"{name}, ligne {row['__ligne__']}"
            report.lignes += 1
            c = _collectivite(row, served, structure, create, report, who)
            if not row.get("Nom"):
                raise Refused(f"{place}, colonne « Nom » : vide")
            item = _treatment(row, place, report)
            if item is None:
                continue
            if (c.pk, item["nom"]) in seen:
                raise Refused(f"{place} : le traitement « {item['nom']} » figure deux fois pour {c}")
            seen.add((c.pk, item["nom"]))
            created, inactive, contact = item.pop("_cree_le"), item.pop("_inactive"), item.pop("_contact")
            if item["role"] == "sous-traitant":  # art. 30.2: the controller it acts for
                item["pour_le_compte_de"], contact = contact, ""
            if contact and not c.contact:
                c.contact = contact
                c.save(update_fields=["contact"])
            if inactive:
                report.valeurs.append(f"{place} : « {item['nom']} » est inactif dans Madis (importé, à archiver s'il n'a plus cours)")
            label = f"{c} : {item['nom']}"
            existing = Activite.objects.filter(collectivite=c, nom=item["nom"]).first()
            if existing is not None and tableur._same(existing, item):
                report.inchangees.append(label)
                continue
            a = existing or Activite(collectivite=c)
            for f, v in item.items():
                if f != "donnees":
                    setattr(a, f, v)
            if existing is None and created is not None:
                a.cree_le = created
            try:
                save_activity(a, who, donnees=item["donnees"])
            except Refused as exc:
                raise Refused(f"{place} : {exc}") from None
            (report.mises_a_jour if existing else report.creees).append(label)
    return report


def export_treatments(collectivites: list[Collectivite]) -> bytes:
    """The registers of these collectivités as Madis's treatments export (its columns, `;`,
    UTF-8 with a BOM): what `import_treatments` reads back (round trip tested), for a DPO who
    keeps both tools for a while or goes back."""
    fates = {"destruction": "Destruction", "archives": "Versement", "anonymisation": "Destruction"}
    bases = {
        "consentement": "Le consentement", "contrat": "L'exécution d'un contrat", "obligation-legale": "L'obligation légale",
        "interets-vitaux": "L'intérêt vital", "mission-publique": "L'exécution d'une mission d'intérêt public", "interet-legitime": "L'intérêt légitime",
    }  # fmt: skip
    roles = {v: k for k, v in ROLES.items()}
    header = ["Nom", "Structure - Nom", "Structure - Code INSEE", "En tant que", "Finalités", "Base légale", "Justification de la base légale", "Préconisations",
              "Catégorie de données", "Destination - Catégorie de destinataires", "Destination - Sous-traitants", "Historique - Date de création",
              *(PEOPLE_PREFIX + p + suffix for p in PEOPLE for suffix in ("", " - Commentaire")), "Détails - Logiciels et supports", "Détails - Délai de conservation - Durée",
              "Détails - Délai de conservation - Sort final", "Détails - Origine des données", *(SECURITY_PREFIX + s for s in SECURITY),
              *(SPECIFIC_PREFIX + s for s in SPECIFIC)]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\n")
    writer.writerow(header)
    for c in collectivites:
        for a in c.activites.prefetch_related("donnees").order_by("nom"):
            data = list(a.donnees.all())
            people = {p.split(" (")[0]: p for p in a.personnes}
            row = {
                "Nom": a.nom, "Structure - Nom": str(c), "Structure - Code INSEE": c.insee, "En tant que": roles.get(a.role, "Responsable de traitement"),
                "Finalités": a.finalites, "Base légale": bases[a.base_legale], "Justification de la base légale": a.justification,
                "Préconisations": a.recommandations, "Catégorie de données": " - ".join(d.categorie for d in data),
                "Destination - Catégorie de destinataires": " ; ".join(d["nom"] for d in a.destinataires if d.get("type") != "sous-traitant"),
                "Destination - Sous-traitants": " - ".join(d["nom"] for d in a.destinataires if d.get("type") == "sous-traitant"),
                "Historique - Date de création": f"{timezone.localtime(a.cree_le):%d/%m/%Y à %H:%M}",
                "Détails - Logiciels et supports": a.logiciels, "Détails - Origine des données": a.source,
                "Détails - Délai de conservation - Durée": f"1: {data[0].duree}" if data else "",
                "Détails - Délai de conservation - Sort final": f"1: {fates[data[0].sort_final]}" if data else "",
            }  # fmt: skip
            row |= {PEOPLE_PREFIX + p: "Oui" if p in people else "Non" for p in PEOPLE}
            row |= {PEOPLE_PREFIX + p + " - Commentaire": people[p][len(p) + 2 : -1] for p in PEOPLE if people.get(p, "").endswith(")")}
            row |= {SECURITY_PREFIX + label: "Oui" if key in a.mesures else "Non" for label, key in SECURITY.items()}
            row |= {SPECIFIC_PREFIX + label: "Oui" if key in a.criteres_aipd else "Non" for label, key in SPECIFIC.items()}
            writer.writerow([row.get(h, "") for h in header])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


CONTRACTOR_READ = {
    "Nom", "Structure - Nom", "Structure - SIREN", "Structure - Code INSEE", "Agent référent", "Clauses contractuelles vérifiées",
    "Adopte les éléments de sécurité nécessaires", "Tient à jour un registre des traitements", "Envoi des données hors UE", "Autres informations",
    "DPD - Le sous-traitant a désigné un DPD", "DPD - Civilité", "DPD - Prénom", "DPD - Nom", "DPD - Fonction", "DPD - Email", "DPD - Téléphone",
    "Coordonnées - Adresse", "Coordonnées - Complément d'adresse", "Coordonnées - Code postal", "Coordonnées - Ville", "Coordonnées - Email",
    "Coordonnées - Téléphone", "Coordonnées - Prénom", "Coordonnées - Nom", "Traitements",
}  # fmt: skip


def _contractor(row: dict) -> dict:
    dpo = " ".join(x for x in (row.get("DPD - Civilité", ""), row.get("DPD - Prénom", ""), row.get("DPD - Nom", "")) if x)
    dpo_lines = [x for x in (dpo, row.get("DPD - Fonction", ""), row.get("DPD - Email", ""), row.get("DPD - Téléphone", "")) if x]
    contact = " ".join(x for x in (row.get("Coordonnées - Prénom", ""), row.get("Coordonnées - Nom", "")) if x)
    town = " ".join(x for x in (row.get("Coordonnées - Code postal", ""), row.get("Coordonnées - Ville", "")) if x)
    address = [x for x in (contact, row.get("Coordonnées - Adresse", ""), row.get("Coordonnées - Complément d'adresse", ""), town,
                           row.get("Coordonnées - Email", ""), row.get("Coordonnées - Téléphone", "")) if x]  # fmt: skip
    notes = [
        f"{label} (Madis) : {row[label]}"
        for label in ("Agent référent", "Clauses contractuelles vérifiées", "Adopte les éléments de sécurité nécessaires")
        if row.get(label)
    ]
    if row.get("Autres informations"):
        notes.append(row["Autres informations"])
    register = row.get("Tient à jour un registre des traitements", "")
    return {
        "nom": row["Nom"][:200],
        "prestation": (row.get("Traitements", "") or "à préciser")[:300],
        "hors_ue": _yes(row.get("Envoi des données hors UE", "")),
        "adresse": "\n".join(address),
        "dpo_contact": "\n".join(dpo_lines) if _yes(row.get("DPD - Le sous-traitant a désigné un DPD", "")) else "",
        "tient_registre": _yes(register) if register else None,
        "notes": "\n".join(notes),
    }


def import_contractors(structure: Organisation, raw: bytes, name: str, who, create: bool = False) -> MadisReport:
    """The contractors of a Madis export, each into its collectivité's file. Madis says only
    whether the contract clauses were « verified »: the clauses of article 28.3 are left to
    tick one by one in Terrinum (said in each processor's notes)."""
    rows, report = _begin(structure, raw, name, who, CONTRACTOR_REQUIRED, CONTRACTOR_READ, "sous-traitants")
    with transaction.atomic():
        served = _served(structure, rows, name, create)
        for row in rows:
            place = f"{name}, ligne {row['__ligne__']}"
            report.lignes += 1
            c = _collectivite(row, served, structure, create, report, who)
            if not row.get("Nom"):
                raise Refused(f"{place}, colonne « Nom » : vide")
            require(who, c, "modifier")
            item = _contractor(row)
            label = f"{c} : {item['nom']}"
            served = set(Activite.objects.filter(collectivite=c, nom__in=[t.strip() for t in (row.get("Traitements", "") or "").split(" - ") if t.strip()]))
            existing = SousTraitant.objects.filter(collectivite=c, nom=item["nom"]).first()
            if existing is not None and all(getattr(existing, k) == v for k, v in item.items()) and set(existing.activites.all()) == served:
                report.inchangees.append(label)
                continue
            found = existing or SousTraitant(collectivite=c, clauses=[])
            before = {k: getattr(found, k) for k in item} if existing else None
            for k, v in item.items():
                setattr(found, k, v)
            found.save()
            found.activites.set(served)
            trace(c, who, "sous-traitant", found, found.nom, "importé de Madis" if existing is None else "mis à jour depuis Madis", before, item)
            (report.mises_a_jour if existing else report.creees).append(label)
    return report
