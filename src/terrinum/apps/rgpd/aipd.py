"""Impact analyses (AIPD) the CNIL's way, and their exchange with the CNIL's PIA tool.

The method's parts, in the PIA tool's numbering (its `reference_to`): 1 context (1.1
overview, 1.2 data, processes and supports), 2 fundamental principles (2.1 proportionality
and necessity, 2.2 measures protecting the rights), 3 risks (3.1 existing or planned
measures, 3.2 illegitimate access, 3.3 unwanted modification, 3.4 disappearance of data —
each with its impacts, threats, sources, measures, and its severity and likelihood on the
four-level scale), 4 validation (risk map, action plan, opinions of the DPO and of the
persons concerned, decision).

The PIA tool exports an analysis as JSON: {pia, answers, measures, evaluations, comments}.
`import_pia` reads it (errors named by entry and field, one transaction; re-importing the
same analysis — same name and creation time in the same collectivité — replaces it with the
same content, so nothing changes); `export_pia` writes it back with every field the tool
gave, including those Terrinum does not use (kept in `complements`). Rules: docs/rgpd.md,
« Analyses d'impact »."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from terrinum.apps.rgpd.models import Activite, Aipd, AipdCommentaire, AipdEvaluation, AipdMesure, AipdReponse, Collectivite
from terrinum.apps.rgpd.services import Refused, require, trace

SCALE = {1: "négligeable", 2: "limitée", 3: "importante", 4: "maximale"}  # the CNIL's four levels (severity and likelihood)

# (section, item) -> (title, [(question reference, label, answer type)])
PARTS: dict[tuple[int, int], tuple[str, list[tuple[int, str, str]]]] = {
    (1, 1): (
        "Vue d'ensemble",
        [
            (111, "Quel est le traitement étudié (nature, portée, contexte, finalités) ?", "text"),
            (112, "Quelles sont les responsabilités (responsable, sous-traitants) ?", "text"),
            (113, "Quels référentiels s'appliquent (codes de conduite, certifications, textes) ?", "text"),
        ],
    ),
    (1, 2): (
        "Données, processus et supports",
        [
            (121, "Quelles données sont traitées (catégories, durées de conservation, destinataires) ?", "text"),
            (122, "Comment se déroule le cycle de vie des données (description fonctionnelle) ?", "text"),
            (123, "Sur quels supports reposent les données (matériels, logiciels, réseaux, papier) ?", "text"),
        ],
    ),
    (2, 1): (
        "Proportionnalité et nécessité",
        [
            (211, "Finalités : déterminées, explicites et légitimes ?", "text"),
            (212, "Fondement : qu'est-ce qui rend le traitement licite ?", "text"),
            (213, "Minimisation : les données sont-elles adéquates, pertinentes et limitées au nécessaire ?", "text"),
            (214, "Exactitude : les données sont-elles exactes et tenues à jour ?", "text"),
            (215, "Durées de conservation : lesquelles, et pourquoi ?", "text"),
        ],
    ),
    (2, 2): (
        "Mesures protectrices des droits",
        [
            (221, "Information des personnes : comment ?", "text"),
            (222, "Consentement, s'il s'applique : comment est-il recueilli ?", "text"),
            (223, "Droits d'accès et à la portabilité : comment s'exercent-ils ?", "text"),
            (224, "Droits de rectification et d'effacement : comment s'exercent-ils ?", "text"),
            (225, "Droits de limitation et d'opposition : comment s'exercent-ils ?", "text"),
            (226, "Sous-traitance : les obligations des sous-traitants sont-elles définies par contrat ?", "text"),
            (227, "Transferts hors de l'Union européenne : quelle protection équivalente ?", "text"),
        ],
    ),
}
RISKS = {
    2: "Accès illégitime à des données",
    3: "Modification non désirée de données",
    4: "Disparition de données",
}
RISK_QUESTIONS = [
    (1, "Impacts sur les personnes si le risque se réalisait", "list"),
    (2, "Menaces qui pourraient le réaliser", "list"),
    (3, "Sources de risque (qui ou quoi pourrait en être à l'origine)", "list"),
    (4, "Mesures, parmi celles identifiées, qui le traitent", "list"),
    (5, "Gravité, au regard des impacts et des mesures", "gauge"),
    (6, "Vraisemblance, au regard des menaces, des sources et des mesures", "gauge"),
]
for _item, _title in RISKS.items():
    PARTS[(3, _item)] = (_title, [(300 + _item * 10 + n, label, kind) for n, label, kind in RISK_QUESTIONS])
QUESTIONS = {ref: (label, kind) for _, questions in PARTS.values() for ref, label, kind in questions}
# parts evaluated as a whole (the others question by question, and 3.1 measure by measure)
EVALUATED_AS_ITEM = {"1.1", "1.2", "3.2", "3.3", "3.4"}

PIA_FIELDS = {  # the tool's pia fields and ours
    "name": "nom", "category": "categorie", "status": "statut", "author_name": "auteur", "evaluator_name": "evaluateur",
    "validator_name": "validateur", "dpos_names": "dpo_noms", "dpo_status": "dpo_statut", "dpo_opinion": "dpo_avis",
    "people_names": "personnes_noms", "concerned_people_status": "personnes_statut", "concerned_people_opinion": "personnes_avis",
    "concerned_people_searched_opinion": "personnes_consultees", "concerned_people_searched_content": "personnes_consultation",
    "rejection_reason": "motif_refus", "applied_adjustments": "ajustements",
}  # fmt: skip
TEXT_FIELDS = {"nom", "categorie", "auteur", "evaluateur", "validateur", "dpo_noms", "dpo_avis", "personnes_noms", "personnes_avis",
               "personnes_consultation", "motif_refus", "ajustements"}  # fmt: skip


# --- dates as the tool writes them ---------------------------------------------------------


def _when(value, where: str):
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"{where} : date « {value} » illisible (ISO 8601 attendu)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- import ---------------------------------------------------------------------------------


def read_pia(raw: bytes, name: str) -> dict:
    """The JSON of a PIA tool export, or Refused naming the file and what is wrong."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused(f"{name} : pas un fichier JSON lisible ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("pia"), dict):
        raise Refused(f"{name} : pas un export de l'outil PIA de la CNIL (clé « pia » absente)")
    for key in ("answers", "measures", "evaluations", "comments"):
        if not isinstance(data.get(key) or [], list):
            raise Refused(f"{name} : « {key} » devrait être une liste")
    return data


def _rest(entry: dict, used: set[str]) -> dict:
    """What the entry holds besides the fields Terrinum reads (given back on export), and
    which of those fields were null or absent (an empty value goes back as it came)."""
    kept = {k: v for k, v in entry.items() if k not in used}
    empty = {k: ("null" if k in entry else "absent") for k in used if entry.get(k) is None and k not in ("id", "pia_id")}
    return {**kept, "_vides": empty} if empty else kept


def _give_back(out: dict, complements: dict) -> dict:
    """The entry as exported: the kept fields added, the empty ones as they came."""
    kept = {k: v for k, v in complements.items() if k not in ("_vides", "_data")}
    result = {**kept, **out}
    for key, how in (complements.get("_vides") or {}).items():
        if result.get(key) in (None, "", [], 0):
            if how == "absent":
                result.pop(key, None)
            else:
                result[key] = None
    return result


def _int_or_none(value, where: str, allowed: range | None = None):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Refused(f"{where} : nombre entier attendu, reçu « {value} »") from None
    if allowed is not None and number not in allowed:
        raise Refused(f"{where} : {number} hors de l'échelle ({allowed.start} à {allowed.stop - 1})")
    return number


def import_pia(c: Collectivite, data: dict, who, name: str = "export PIA", activite: Activite | None = None) -> Aipd:
    """An analysis exported by the CNIL's PIA tool, into a collectivité, in one transaction.
    The same analysis (same name, same creation time) imported again replaces the first with
    the same content."""
    require(who, c, "modifier")
    pia = data["pia"]
    values = {ours: pia.get(theirs) for theirs, ours in PIA_FIELDS.items() if theirs in pia}
    if not (values.get("nom") or "").strip():
        raise Refused(f"{name} : pia.name : le nom de l'analyse est vide")
    for key in TEXT_FIELDS & values.keys():
        values[key] = values[key] or ""
    values["statut"] = _int_or_none(values.get("statut"), f"{name} : pia.status", range(0, 5)) or 0
    for key in ("dpo_statut", "personnes_statut"):
        values[key] = _int_or_none(values.get(key), f"{name} : pia.{key}", range(0, 2))
    if values.get("personnes_consultees") is not None:
        values["personnes_consultees"] = bool(values["personnes_consultees"])
    created = _when(pia.get("created_at"), f"{name} : pia.created_at") or timezone.now()
    updated = _when(pia.get("updated_at"), f"{name} : pia.updated_at") or created
    kept = _rest(pia, set(PIA_FIELDS) | {"created_at", "updated_at", "id"})
    if activite is not None and activite.collectivite_id != c.pk:
        raise Refused(f"l'activité « {activite.nom} » n'est pas de {c}", 400)
    with transaction.atomic():
        found = Aipd.objects.select_for_update().filter(collectivite=c, nom=values["nom"], cree_le=created).first()
        if found is not None:
            for related in (found.commentaires, found.evaluations, found.reponses, found.mesures):
                related.all().delete()
            for key, value in {**values, "modifie_le": updated, "complements": kept}.items():
                setattr(found, key, value)
            if activite is not None:
                found.activite = activite
            found.save()
            aipd, action = found, "réimportée de l'outil PIA"
        else:
            aipd = Aipd.objects.create(collectivite=c, activite=activite, cree_le=created, modifie_le=updated, complements=kept, **values)
            action = "importée de l'outil PIA"
        _import_children(aipd, data, name)
        refresh_activity(aipd)
        trace(c, who, "aipd", aipd, aipd.nom, action, None, {"fichier": name, "reponses": aipd.reponses.count(), "mesures": aipd.mesures.count()})
    return aipd


def _import_children(aipd: Aipd, data: dict, name: str) -> None:
    answers = []
    for i, a in enumerate(data.get("answers") or []):
        where = f"{name} : answers[{i}]"
        ref = _int_or_none(a.get("reference_to"), f"{where}.reference_to")
        if ref not in QUESTIONS:
            raise Refused(f"{where}.reference_to : {a.get('reference_to')} n'est pas une question de la méthode")
        body = a.get("data") or {}
        if not isinstance(body, dict):
            raise Refused(f"{where}.data : objet attendu")
        items = body.get("list") or []
        if not isinstance(items, list):
            raise Refused(f"{where}.data.list : liste attendue")
        answers.append(
            AipdReponse(
                aipd=aipd,
                reference=ref,
                texte=body.get("text") or "",
                jauge=_int_or_none(body.get("gauge"), f"{where}.data.gauge", range(0, 5)),
                liste=[str(x) for x in items],
                cree_le=_when(a.get("created_at"), f"{where}.created_at"),
                modifie_le=_when(a.get("updated_at"), f"{where}.updated_at"),
                complements={**_rest(a, {"reference_to", "data", "created_at", "updated_at", "id", "pia_id"}), "_data": _rest(body, {"text", "gauge", "list"})},
            )
        )
    seen = [a.reference for a in answers]
    if len(seen) != len(set(seen)):
        raise Refused(f"{name} : answers : une question a plusieurs réponses ({sorted({r for r in seen if seen.count(r) > 1})})")
    AipdReponse.objects.bulk_create(answers)
    measures: dict[str, AipdMesure] = {}
    for i, m in enumerate(data.get("measures") or []):
        where = f"{name} : measures[{i}]"
        made = AipdMesure.objects.create(
            aipd=aipd,
            titre=(m.get("title") or "")[:300],
            contenu=m.get("content") or "",
            indication=(m.get("placeholder") or "")[:200],
            cree_le=_when(m.get("created_at"), f"{where}.created_at"),
            modifie_le=_when(m.get("updated_at"), f"{where}.updated_at"),
            complements=_rest(m, {"title", "content", "placeholder", "created_at", "updated_at", "id", "pia_id"}),
        )
        measures[str(m.get("id"))] = made
    for i, e in enumerate(data.get("evaluations") or []):
        where = f"{name} : evaluations[{i}]"
        ref = str(e.get("reference_to") or "")
        measure = None
        if ref.startswith("3.1."):
            measure = measures.get(ref[4:])
            if measure is None:
                raise Refused(f"{where}.reference_to : « {ref} » évalue une mesure absente de l'export")
            ref = "3.1"
        elif not _known_part(ref):
            raise Refused(f"{where}.reference_to : « {ref} » n'est pas une partie de la méthode")
        gauges = e.get("gauges") or {}
        AipdEvaluation.objects.create(
            aipd=aipd,
            reference=ref,
            mesure=measure,
            statut=_int_or_none(e.get("status"), f"{where}.status", range(0, 4)) or 0,
            statut_global=_int_or_none(e.get("global_status"), f"{where}.global_status", range(0, 3)) or 0,
            commentaire=e.get("evaluation_comment") or "",
            plan_action=e.get("action_plan_comment") or "",
            evaluee_le=_when(e.get("evaluation_date"), f"{where}.evaluation_date"),
            jauge_x=_int_or_none(gauges.get("x"), f"{where}.gauges.x", range(0, 5)),
            jauge_y=_int_or_none(gauges.get("y"), f"{where}.gauges.y", range(0, 5)),
            mise_en_oeuvre_le=_when(e.get("estimated_implementation_date"), f"{where}.estimated_implementation_date"),
            responsable=e.get("person_in_charge") or "",
            cree_le=_when(e.get("created_at"), f"{where}.created_at"),
            modifie_le=_when(e.get("updated_at"), f"{where}.updated_at"),
            complements=_rest(e, {"reference_to", "status", "global_status", "evaluation_comment", "action_plan_comment", "evaluation_date", "gauges",
                                  "estimated_implementation_date", "person_in_charge", "created_at", "updated_at", "id", "pia_id"}),
        )  # fmt: skip
    for i, k in enumerate(data.get("comments") or []):
        where = f"{name} : comments[{i}]"
        for_measure = bool(k.get("for_measure"))
        measure = measures.get(str(k.get("reference_to"))) if for_measure else None
        if for_measure and measure is None:
            raise Refused(f"{where}.reference_to : le commentaire porte sur une mesure absente de l'export")
        AipdCommentaire.objects.create(
            aipd=aipd,
            reference=None if for_measure else k.get("reference_to"),
            mesure=measure,
            description=k.get("description") or "",
            cree_le=_when(k.get("created_at"), f"{where}.created_at"),
            modifie_le=_when(k.get("updated_at"), f"{where}.updated_at"),
            complements=_rest(k, {"reference_to", "for_measure", "description", "created_at", "updated_at", "id", "pia_id"}),
        )


def _known_part(ref: str) -> bool:
    parts = ref.split(".")
    if len(parts) == 2:
        return parts[0].isdigit() and parts[1].isdigit() and (int(parts[0]), int(parts[1])) in PARTS
    return len(parts) == 3 and parts[2].isdigit() and int(parts[2]) in QUESTIONS and ref.startswith(f"{parts[2][0]}.{parts[2][1]}.")


# --- export ---------------------------------------------------------------------------------


def export_pia(aipd: Aipd) -> dict:
    """The analysis as the CNIL's PIA tool exports one (and imports it)."""
    pia = {theirs: getattr(aipd, ours) for theirs, ours in PIA_FIELDS.items()}
    pia = _give_back({**pia, "id": aipd.pk, "created_at": _iso(aipd.cree_le), "updated_at": _iso(aipd.modifie_le)}, aipd.complements)
    answers = [
        _give_back(
            {
                "pia_id": aipd.pk,
                "reference_to": a.reference,
                "data": _give_back({"text": a.texte, "gauge": a.jauge, "list": a.liste}, a.complements.get("_data") or {}),
                "created_at": _iso(a.cree_le),
                "updated_at": _iso(a.modifie_le),
                "id": a.pk,
            },
            a.complements,
        )
        for a in aipd.reponses.all()
    ]
    measures = [
        _give_back({"pia_id": aipd.pk, "title": m.titre, "content": m.contenu, "placeholder": m.indication,
                    "created_at": _iso(m.cree_le), "updated_at": _iso(m.modifie_le), "id": m.pk}, m.complements)
        for m in aipd.mesures.all()
    ]  # fmt: skip
    evaluations = [
        _give_back(
            {
                "pia_id": aipd.pk,
                "reference_to": f"3.1.{e.mesure_id}" if e.mesure_id else e.reference,
                "status": e.statut,
                "global_status": e.statut_global,
                "evaluation_comment": e.commentaire,
                "action_plan_comment": e.plan_action,
                "evaluation_date": _iso(e.evaluee_le),
                "gauges": {"x": e.jauge_x or 0, "y": e.jauge_y or 0} if (e.jauge_x, e.jauge_y) != (None, None) else None,
                "estimated_implementation_date": _iso(e.mise_en_oeuvre_le),
                "person_in_charge": e.responsable,
                "created_at": _iso(e.cree_le),
                "updated_at": _iso(e.modifie_le),
                "id": e.pk,
            },
            e.complements,
        )
        for e in aipd.evaluations.all()
    ]
    comments = [
        _give_back({"pia_id": aipd.pk, "reference_to": k.mesure_id if k.mesure_id else k.reference, "for_measure": bool(k.mesure_id),
                    "description": k.description, "created_at": _iso(k.cree_le), "updated_at": _iso(k.modifie_le), "id": k.pk}, k.complements)
        for k in aipd.commentaires.all()
    ]  # fmt: skip
    return {"pia": pia, "answers": answers, "measures": measures, "evaluations": evaluations, "comments": comments}


# --- the analysis in Terrinum ---------------------------------------------------------------


def refresh_activity(aipd: Aipd) -> None:
    """The register follows its analysis: « en cours » while it is not validated, « faite »
    once validated (simply or with signature)."""
    if aipd.activite_id is None:
        return
    state = "faite" if aipd.statut in (2, 3) else "en-cours"
    Activite.objects.filter(pk=aipd.activite_id).update(aipd_statut=state)


def plain(text: str) -> str:
    """An answer as text (the PIA tool writes HTML)."""
    return strip_tags((text or "").replace("<br>", "\n").replace("</p>", "\n").replace("</div>", "\n")).replace("&nbsp;", " ").strip()


def _touch(aipd: Aipd) -> None:
    aipd.modifie_le = timezone.now()
    aipd.save(update_fields=["modifie_le"])


def save_answers(aipd: Aipd, who, answers: dict[int, object]) -> int:
    """Answers typed in Terrinum: texts (kept as the tool wrote them when their text did not
    change), lists (one item per line) and gauges (1-4). Returns how many changed."""
    require(who, aipd, "modifier")
    changed = 0
    now = timezone.now()
    with transaction.atomic():
        for ref, value in answers.items():
            if ref not in QUESTIONS:
                raise Refused(f"question {ref} inconnue")
            kind = QUESTIONS[ref][1]
            current = AipdReponse.objects.filter(aipd=aipd, reference=ref).first() or AipdReponse(aipd=aipd, reference=ref, cree_le=now)
            if kind == "text":
                text = str(value or "").strip()
                if plain(current.texte) == text:
                    continue
                current.texte = text
            elif kind == "list":
                items = [line.strip() for line in str(value or "").splitlines() if line.strip()]
                if items == current.liste:
                    continue
                current.liste = items
            else:
                level = _int_or_none(value, f"« {QUESTIONS[ref][0]} »", range(0, 5))
                if level == current.jauge:
                    continue
                current.jauge = level
            current.modifie_le = now
            current.save()
            changed += 1
        if changed:
            _touch(aipd)
            trace(aipd.collectivite, who, "aipd", aipd, aipd.nom, f"{changed} réponse(s) modifiée(s)")
    return changed


def add_measure(aipd: Aipd, who, titre: str, contenu: str) -> AipdMesure:
    require(who, aipd, "modifier")
    titre = (titre or "").strip()
    if not titre:
        raise Refused("une mesure a un intitulé")
    now = timezone.now()
    with transaction.atomic():
        made = AipdMesure.objects.create(aipd=aipd, titre=titre[:300], contenu=(contenu or "").strip(), cree_le=now, modifie_le=now)
        _touch(aipd)
        trace(aipd.collectivite, who, "aipd", aipd, aipd.nom, f"mesure ajoutée : {made.titre}"[:100])
    return made


def evaluate(aipd: Aipd, who, reference: str, statut: int, commentaire: str = "", plan_action: str = "", responsable: str = "",
             mise_en_oeuvre_le: dt.date | None = None, gravite: int | None = None, vraisemblance: int | None = None,
             mesure: AipdMesure | None = None) -> AipdEvaluation:  # fmt: skip
    """The DPO's evaluation of a part or a measure; « améliorable » and « à corriger » need
    the action to take; a risk's residual severity and likelihood are set with it."""
    require(who, aipd, "verifier")
    if mesure is not None:
        reference = "3.1"
    elif not _known_part(reference):
        raise Refused(f"partie « {reference} » inconnue")
    if statut not in dict(AipdEvaluation.STATUTS):
        raise Refused("statut d'évaluation inconnu")
    if statut in (1, 2) and not (plan_action or "").strip():
        raise Refused("« à corriger » ou « améliorable » : dites quoi faire (plan d'action)")
    now = timezone.now()
    with transaction.atomic():
        found, _ = AipdEvaluation.objects.get_or_create(aipd=aipd, reference=reference, mesure=mesure, defaults={"cree_le": now})
        found.statut, found.statut_global = statut, 2 if statut else 1
        found.commentaire, found.plan_action, found.responsable = commentaire or "", plan_action or "", (responsable or "")[:200]
        found.mise_en_oeuvre_le = dt.datetime.combine(mise_en_oeuvre_le, dt.time(12), tzinfo=dt.UTC) if mise_en_oeuvre_le else None
        if reference in ("3.2", "3.3", "3.4"):
            found.jauge_x = _int_or_none(gravite, "gravité résiduelle", range(0, 5))
            found.jauge_y = _int_or_none(vraisemblance, "vraisemblance résiduelle", range(0, 5))
        found.evaluee_le = found.modifie_le = now
        found.save()
        _touch(aipd)
        trace(aipd.collectivite, who, "aipd", aipd, aipd.nom, f"évaluation {reference} : {found.get_statut_display()}")
    return found


def give_opinions(aipd: Aipd, who, **fields) -> Aipd:
    """The DPO's opinion (the DPO's accounts) and the persons' (the collectivité's)."""
    dpo = {k: fields[k] for k in ("dpo_noms", "dpo_avis", "dpo_statut") if k in fields}
    people = {k: fields[k] for k in ("personnes_noms", "personnes_avis", "personnes_statut", "personnes_consultees", "personnes_consultation") if k in fields}
    if dpo:
        require(who, aipd, "verifier")
    if people:
        require(who, aipd, "modifier")
    with transaction.atomic():
        for key, value in {**dpo, **people}.items():
            setattr(aipd, key, value)
        if aipd.personnes_consultees is False and not (aipd.personnes_consultation or "").strip():
            raise Refused("avis des personnes non recherché : dites pourquoi")
        aipd.modifie_le = timezone.now()
        aipd.save()
        trace(aipd.collectivite, who, "aipd", aipd, aipd.nom, "avis enregistrés")
    return aipd


def decide(aipd: Aipd, who, statut: int, motif: str = "", ajustements: str = "") -> Aipd:
    """The controller validates the analysis (2, or 3 with signature) or refuses it (1, with
    its reason); validation needs the DPO's opinion and every risk weighed."""
    require(who, aipd, "modifier")
    if statut not in (1, 2, 3, 4):
        raise Refused("décision inconnue")
    if statut == 1 and not (motif or "").strip():
        raise Refused("un refus donne son motif")
    if statut in (2, 3):
        missing = [RISKS[i] for i in RISKS if not all(_gauge(aipd, 300 + i * 10 + q) for q in (5, 6))]
        if aipd.dpo_statut is None:
            missing.insert(0, "l'avis du DPO")
        if missing:
            raise Refused(
                "avant de valider : " + ", ".join(missing[:1]) + (" ; gravité et vraisemblance de : " + ", ".join(missing[1:]) if missing[1:] else "")
            )
    with transaction.atomic():
        aipd.statut, aipd.motif_refus, aipd.ajustements = statut, (motif or aipd.motif_refus), (ajustements or aipd.ajustements)
        aipd.modifie_le = timezone.now()
        aipd.save()
        refresh_activity(aipd)
        trace(aipd.collectivite, who, "aipd", aipd, aipd.nom, f"analyse {aipd.get_statut_display()}")
    return aipd


def _gauge(aipd: Aipd, ref: int) -> int | None:
    found = next((a for a in aipd.reponses.all() if a.reference == ref), None)
    return found.jauge if found and found.jauge else None


@dataclass
class RiskCell:
    risque: str
    gravite: int | None
    vraisemblance: int | None
    gravite_residuelle: int | None
    vraisemblance_residuelle: int | None


def risk_map(aipd: Aipd) -> list[RiskCell]:
    """The three risks, as estimated (answers x5, x6) and as re-evaluated after the action
    plan (the evaluations' gauges of 3.2, 3.3, 3.4)."""
    evaluations = {e.reference: e for e in aipd.evaluations.all() if e.mesure_id is None}
    out = []
    for item, title in RISKS.items():
        e = evaluations.get(f"3.{item}")
        out.append(
            RiskCell(
                title,
                _gauge(aipd, 300 + item * 10 + 5),
                _gauge(aipd, 300 + item * 10 + 6),
                (e.jauge_x or None) if e else None,
                (e.jauge_y or None) if e else None,
            )
        )
    return out


def action_plan(aipd: Aipd) -> list[AipdEvaluation]:
    """What the evaluations ask to do (improvable or to correct), with who and by when."""
    return [e for e in aipd.evaluations.select_related("mesure") if e.statut in (1, 2) and e.plan_action.strip()]


def create(c: Collectivite, who, nom: str, activite: Activite | None = None, modele: str = "") -> Aipd:
    """A new analysis, empty or from a packaged model (aipd_modeles.MODELS)."""
    from terrinum.apps.rgpd.aipd_modeles import MODELS

    require(who, c, "modifier")
    nom = (nom or "").strip()
    if not nom:
        raise Refused("une analyse a un nom")
    if activite is not None and activite.collectivite_id != c.pk:
        raise Refused(f"l'activité « {activite.nom} » n'est pas de {c}")
    if modele and modele not in MODELS:
        raise Refused(f"modèle d'analyse inconnu : {modele} (attendu : {', '.join(MODELS)})")
    now = timezone.now()
    with transaction.atomic():
        aipd = Aipd.objects.create(collectivite=c, activite=activite, nom=nom[:200], modele=modele, cree_le=now, modifie_le=now)
        if modele:
            model = MODELS[modele]
            AipdReponse.objects.bulk_create(
                AipdReponse(aipd=aipd, reference=ref, texte=value if QUESTIONS[ref][1] == "text" else "",
                            liste=value if QUESTIONS[ref][1] == "list" else [], cree_le=now, modifie_le=now)
                for ref, value in model.reponses.items()
            )  # fmt: skip
            AipdMesure.objects.bulk_create(AipdMesure(aipd=aipd, titre=t, contenu=body, cree_le=now, modifie_le=now) for t, body in model.mesures)
            aipd.categorie = model.categorie
            aipd.save(update_fields=["categorie"])
        refresh_activity(aipd)
        trace(c, who, "aipd", aipd, aipd.nom, f"analyse créée{' du modèle « ' + modele + ' »' if modele else ''}")
    return aipd
