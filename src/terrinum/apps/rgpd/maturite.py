"""Maturity of a collectivité's data protection: a questionnaire by domain (a référentiel),
answered on a four-level scale, scored per domain (0 to 100), kept with its history. The
packaged référentiel follows the themes of the CNIL's guides for collectivités (the RGPD
awareness guide for local authorities, the guide to the security of personal data); a
structure's DPO may write its own (a JSON file of the same shape), each new text a new
version: past evaluations keep the version they were answered against. Rules: docs/rgpd.md,
« Maturité »."""

from __future__ import annotations

import json

from django.db import transaction
from django.utils import timezone

from terrinum.accounts.models import Organisation
from terrinum.apps.rgpd.models import Collectivite, EvaluationMaturite, Referentiel
from terrinum.apps.rgpd.services import Refused, hosting_structures, require, trace

LEVELS = [(0, "non, pas encore"), (1, "en partie"), (2, "en grande partie"), (3, "oui, fait et tenu à jour")]
PACKAGED_NAME = "Référentiel de Terrinum d'après les guides de la CNIL"
PACKAGED_SOURCE = (
    "Thèmes du « Guide de sensibilisation au RGPD pour les collectivités territoriales » (CNIL, 2019) et du "
    "« Guide de la sécurité des données personnelles » (CNIL) ; questions rédigées pour Terrinum."
)
PACKAGED = [
    {"cle": "gouvernance", "titre": "Gouvernance", "questions": [
        {"cle": "dpo", "texte": "Un délégué à la protection des données est désigné auprès de la CNIL et connu des services."},
        {"cle": "pilotage", "texte": "Les élus et la direction suivent la conformité (point régulier, feuille de route)."},
        {"cle": "referents", "texte": "Chaque service a un référent qui signale au DPO les nouveaux traitements."},
    ]},
    {"cle": "registre", "titre": "Registre et documentation", "questions": [
        {"cle": "complet", "texte": "Le registre recense tous les traitements des services, y compris ceux sur papier."},
        {"cle": "a_jour", "texte": "Le registre est relu au moins une fois par an et à chaque nouveau traitement."},
        {"cle": "aipd", "texte": "Les traitements à risque ont une analyse d'impact validée."},
    ]},
    {"cle": "droits", "titre": "Information et droits des personnes", "questions": [
        {"cle": "mentions", "texte": "Les formulaires et téléservices portent les mentions d'information."},
        {"cle": "procedure", "texte": "Une procédure permet de répondre aux demandes de droits dans le délai d'un mois."},
        {"cle": "tracees", "texte": "Les demandes reçues et leurs réponses sont tracées."},
    ]},
    {"cle": "securite", "titre": "Sécurité des données", "questions": [
        {"cle": "acces", "texte": "Chaque agent a un compte personnel et des droits limités à ses missions."},
        {"cle": "sauvegardes", "texte": "Les données sont sauvegardées, hors des locaux, et la restauration a été essayée."},
        {"cle": "mises_a_jour", "texte": "Les postes et logiciels sont mis à jour et protégés."},
        {"cle": "papier", "texte": "Les dossiers papier sont rangés sous clé et détruits de façon sûre."},
    ]},
    {"cle": "sous_traitance", "titre": "Sous-traitants", "questions": [
        {"cle": "clauses", "texte": "Les contrats avec les prestataires comportent les clauses de l'article 28 du RGPD."},
        {"cle": "hors_ue", "texte": "Les transferts hors de l'Union européenne sont connus et encadrés."},
    ]},
    {"cle": "violations", "titre": "Violations de données", "questions": [
        {"cle": "procedure", "texte": "Les agents savent à qui signaler un incident, et le DPO est prévenu sans délai."},
        {"cle": "registre", "texte": "Toute violation est inscrite au registre, notifiée dans les 72 heures si nécessaire."},
    ]},
    {"cle": "sensibilisation", "titre": "Sensibilisation", "questions": [
        {"cle": "agents", "texte": "Les agents ont été sensibilisés à la protection des données depuis moins de deux ans."},
        {"cle": "elus", "texte": "Les élus ont été sensibilisés à leurs obligations."},
    ]},
]  # fmt: skip


def packaged() -> Referentiel:
    """The packaged référentiel (created on first use; its text never changes in place)."""
    found = Referentiel.objects.filter(structure__isnull=True, nom=PACKAGED_NAME).order_by("-version").first()
    if found is None or found.domaines != PACKAGED:
        found = Referentiel.objects.create(nom=PACKAGED_NAME, version=(found.version + 1) if found else 1, source=PACKAGED_SOURCE, domaines=PACKAGED)
    return found


def check_domains(domaines, name: str = "référentiel") -> list[dict]:
    """A référentiel's domains, checked: each with a key, a title and questions (key, text)."""
    if not isinstance(domaines, list) or not domaines:
        raise Refused(f"{name} : une liste de domaines est attendue")
    keys = set()
    for i, d in enumerate(domaines, 1):
        if not isinstance(d, dict) or not str(d.get("cle", "")).strip() or not str(d.get("titre", "")).strip():
            raise Refused(f"{name}, domaine n° {i} : « cle » et « titre » obligatoires")
        if d["cle"] in keys:
            raise Refused(f"{name}, domaine n° {i} : clé « {d['cle']} » en double")
        keys.add(d["cle"])
        questions = d.get("questions")
        if not isinstance(questions, list) or not questions:
            raise Refused(f"{name}, domaine « {d['cle']} » : au moins une question")
        qkeys = set()
        for j, q in enumerate(questions, 1):
            if not isinstance(q, dict) or not str(q.get("cle", "")).strip() or not str(q.get("texte", "")).strip():
                raise Refused(f"{name}, domaine « {d['cle']} », question n° {j} : « cle » et « texte » obligatoires")
            if q["cle"] in qkeys:
                raise Refused(f"{name}, domaine « {d['cle']} », question n° {j} : clé « {q['cle']} » en double")
            qkeys.add(q["cle"])
    return [{"cle": d["cle"], "titre": d["titre"], "questions": [{"cle": q["cle"], "texte": q["texte"]} for q in d["questions"]]} for d in domaines]


def save_referentiel(structure: Organisation, who, nom: str, raw: bytes, source: str = "") -> Referentiel:
    """A structure's own référentiel from a JSON file ({"domaines": [...]} or the list); a new
    text of the same name is a new version (the previous ones stay, with their evaluations)."""
    if structure not in hosting_structures(who):
        raise Refused("seul le DPO ou un administrateur de la structure écrit ses référentiels", 403)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused(f"référentiel : pas un JSON lisible ({exc})") from None
    domaines = check_domains(data.get("domaines") if isinstance(data, dict) else data)
    nom = (nom or (data.get("nom") if isinstance(data, dict) else "") or "").strip()
    if not nom:
        raise Refused("référentiel : un nom")
    with transaction.atomic():
        last = Referentiel.objects.filter(structure=structure, nom=nom).order_by("-version").first()
        if last is not None and last.domaines == domaines:
            return last
        return Referentiel.objects.create(
            structure=structure,
            nom=nom[:200],
            version=(last.version + 1) if last else 1,
            source=(source or (data.get("source", "") if isinstance(data, dict) else ""))[:500],
            domaines=domaines,
        )


def referentiels_for(c: Collectivite) -> list[Referentiel]:
    """The référentiels a collectivité may be evaluated against: the packaged one, and the
    latest version of each of its structures' own."""
    latest = {}
    for r in Referentiel.objects.filter(structure__in=c.organisation.structures.all()).order_by("nom", "-version"):
        latest.setdefault((r.structure_id, r.nom), r)
    return [packaged(), *latest.values()]


def record(c: Collectivite, who, referentiel: Referentiel, answers: dict[str, int]) -> EvaluationMaturite:
    """An evaluation: every question answered, each on the four levels."""
    require(who, c, "modifier")
    if referentiel.structure_id is not None and not c.organisation.structures.filter(pk=referentiel.structure_id).exists():
        raise Refused("ce référentiel n'est pas celui d'une structure qui sert cette collectivité")
    wanted = [f"{d['cle']}.{q['cle']}" for d in referentiel.domaines for q in d["questions"]]
    missing = [k for k in wanted if k not in answers]
    if missing:
        raise Refused(f"{len(missing)} question(s) sans réponse : chaque question reçoit un niveau")
    levels = dict(LEVELS)
    for k in wanted:
        if answers[k] not in levels:
            raise Refused(f"question « {k} » : niveau {answers[k]} inconnu (0 à 3)")
    with transaction.atomic():
        made = EvaluationMaturite.objects.create(
            collectivite=c, referentiel=referentiel, reponses={k: answers[k] for k in wanted}, par=who, faite_le=timezone.now()
        )
        trace(c, who, "collectivite", c, str(c), f"maturité évaluée : {made.score()}/100")
    return made
