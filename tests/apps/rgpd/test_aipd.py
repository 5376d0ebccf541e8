"""Impact analyses: an analysis exported by the CNIL's PIA tool (its JSON format: answers keyed
by `reference_to`, measures, evaluations of parts and of measures, comments) opens in
Terrinum and goes back with nothing lost; bad files are refused by entry and field; the
analysis is completed in Terrinum (answers, measures, the DPO's evaluations and opinion, the
risk map, the action plan, the decision), and the register follows it."""

from __future__ import annotations

import copy
import json

import pytest

from terrinum.apps.rgpd import aipd
from terrinum.apps.rgpd.models import Activite, Aipd, Trace
from terrinum.apps.rgpd.services import Refused

pytestmark = pytest.mark.django_db


def _pia_export() -> dict:
    """An analysis as the PIA tool (v3) exports one: its fields, some null or absent, HTML
    answers, list and gauge answers, two measures, evaluations of parts, of questions and of a
    measure, comments on a question and on a measure, and the tool's own bookkeeping keys."""
    return {
        "pia": {
            "id": 7, "status": 0, "name": "Vidéoprotection du centre-bourg", "category": "Sécurité",
            "author_name": "Claire Martin", "evaluator_name": "Paul Durand", "validator_name": "Le maire",
            "dpo_status": None, "dpo_opinion": "", "dpos_names": "", "people_names": None,
            "concerned_people_opinion": "", "concerned_people_status": None,
            "concerned_people_searched_opinion": None, "concerned_people_searched_content": None,
            "rejection_reason": "", "applied_adjustments": "", "is_example": 0, "is_archive": 0,
            "created_at": "2026-03-02T09:15:00.000Z", "updated_at": "2026-03-05T16:40:12.250Z",
            "structure_id": None, "structure_name": "", "structure_sector_name": "", "structure_data": None,
            "progress": 42, "lock_version": 3, "dbVersion": 201910230914, "tableName": "pia",
        },
        "answers": [
            {"pia_id": 7, "reference_to": 111, "data": {"text": "<p>Six caméras sur la place et les abords de l'école.</p>", "gauge": None, "list": []},
             "created_at": "2026-03-02T09:20:00.000Z", "updated_at": "2026-03-02T09:21:00.000Z", "id": 1, "lock_version": 1},
            {"pia_id": 7, "reference_to": 212, "data": {"text": "Mission d'intérêt public (art. 6.1.e).", "gauge": None, "list": []},
             "created_at": "2026-03-02T09:30:00.000Z", "id": 2},
            {"pia_id": 7, "reference_to": 321, "data": {"text": None, "gauge": None, "list": ["Atteinte à la vie privée", "Suivi des déplacements"]},
             "created_at": "2026-03-03T10:00:00.000Z", "id": 3},
            {"pia_id": 7, "reference_to": 325, "data": {"text": None, "gauge": 3, "list": []}, "created_at": "2026-03-03T10:05:00.000Z", "id": 4},
            {"pia_id": 7, "reference_to": 326, "data": {"text": None, "gauge": 2, "list": []}, "created_at": "2026-03-03T10:06:00.000Z", "id": 5},
        ],
        "measures": [
            {"title": "Chiffrement", "pia_id": 7, "content": "<div>Flux chiffrés entre caméras et enregistreur.</div>",
             "placeholder": "knowledge_base.slugs.PIA_TEC_CHIF.placeholder", "created_at": "2026-03-03T11:00:00.000Z", "updated_at": None, "id": 31},
            {"title": "Journalisation", "pia_id": 7, "content": "", "placeholder": "", "created_at": "2026-03-03T11:05:00.000Z", "id": 32},
        ],
        "evaluations": [
            {"status": 3, "global_status": 2, "pia_id": 7, "reference_to": "1.1", "evaluation_comment": "Clair.",
             "gauges": {"x": 0, "y": 0}, "created_at": "2026-03-04T08:00:00.000Z", "updated_at": "2026-03-04T08:01:00.000Z", "id": 1},
            {"status": 2, "global_status": 2, "pia_id": 7, "reference_to": "2.1.212", "evaluation_comment": "",
             "action_plan_comment": "Citer l'autorisation préfectorale.", "estimated_implementation_date": "2026-06-30T00:00:00.000Z",
             "person_in_charge": "Service juridique", "gauges": None, "created_at": "2026-03-04T08:10:00.000Z", "id": 2},
            {"status": 2, "global_status": 2, "pia_id": 7, "reference_to": "3.1.32", "evaluation_comment": "Journal à conserver 1 an.",
             "action_plan_comment": "Mettre en place l'export mensuel du journal.", "created_at": "2026-03-04T08:20:00.000Z", "id": 3},
            {"status": 2, "global_status": 2, "pia_id": 7, "reference_to": "3.2", "evaluation_comment": "",
             "action_plan_comment": "Masquer les fenêtres.", "gauges": {"x": 2, "y": 1}, "evaluation_date": "2026-03-04T09:00:00.000Z",
             "created_at": "2026-03-04T08:30:00.000Z", "id": 4},
        ],
        "comments": [
            {"description": "Ajouter la durée de conservation.", "pia_id": 7, "reference_to": 212, "for_measure": False, "created_at": "2026-03-04T10:00:00.000Z", "id": 1},
            {"description": "Qui relit le journal ?", "pia_id": 7, "reference_to": 32, "for_measure": True, "created_at": "2026-03-04T10:05:00.000Z", "id": 2},
        ],
    }  # fmt: skip


def _comparable(export: dict) -> dict:
    """An export with its ids replaced by their place (ids are the storage's, not content):
    measures by their order, everything else dropped."""
    data = copy.deepcopy(export)
    measure_ids = {str(m["id"]): f"m{i}" for i, m in enumerate(data["measures"])}
    data["pia"].pop("id")
    for key in ("answers", "measures", "evaluations", "comments"):
        for entry in data[key]:
            entry.pop("id", None)
            entry.pop("pia_id", None)
    for e in data["evaluations"]:
        if e["reference_to"].startswith("3.1."):
            e["reference_to"] = "3.1." + measure_ids[e["reference_to"][4:]]
    for k in data["comments"]:
        if k["for_measure"]:
            k["reference_to"] = measure_ids[str(k["reference_to"])]
    data["answers"].sort(key=lambda a: a["reference_to"])
    data["evaluations"].sort(key=lambda e: e["reference_to"])
    return data


def test_an_analysis_from_the_pia_tool_opens_and_goes_back_with_nothing_lost(rgpd_world):
    org, col, users = rgpd_world
    c = col["signy"]
    original = _pia_export()
    made = aipd.import_pia(c, copy.deepcopy(original), users["dpo"], "videoprotection.json")
    assert (made.nom, made.auteur, made.statut, made.reponses.count(), made.mesures.count()) == ("Vidéoprotection du centre-bourg", "Claire Martin", 0, 5, 2)
    back = aipd.export_pia(made)
    assert _comparable(back) == _comparable(original)
    json.dumps(back)  # serialisable as the tool reads it
    # the same analysis imported again replaces itself: same content, one analysis
    again = aipd.import_pia(c, copy.deepcopy(original), users["dpo"], "videoprotection.json")
    assert again.pk == made.pk and Aipd.objects.filter(collectivite=c).count() == 1
    assert _comparable(aipd.export_pia(again)) == _comparable(original)
    assert Trace.objects.filter(collectivite=c, objet="aipd", action="réimportée de l'outil PIA").exists()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d["answers"][0].update(reference_to=999), "answers[0].reference_to : 999 n'est pas une question de la méthode"),
        (lambda d: d["answers"][3]["data"].update(gauge=7), "answers[3].data.gauge : 7 hors de l'échelle (0 à 4)"),
        (lambda d: d["evaluations"][2].update(reference_to="3.1.99"), "evaluations[2].reference_to : « 3.1.99 » évalue une mesure absente"),
        (lambda d: d["pia"].update(created_at="hier"), "pia.created_at : date « hier » illisible"),
        (lambda d: d["pia"].update(name=" "), "pia.name : le nom de l'analyse est vide"),
        (lambda d: d["answers"].append(dict(d["answers"][0])), "une question a plusieurs réponses ([111])"),
    ],
)
def test_a_wrong_file_is_refused_by_entry_and_field_and_leaves_nothing(rgpd_world, change, said):
    org, col, users = rgpd_world
    c = col["signy"]
    data = _pia_export()
    change(data)
    with pytest.raises(Refused) as refused:
        aipd.import_pia(c, data, users["dpo"], "pia.json")
    assert said in str(refused.value) and str(refused.value).startswith("pia.json : ")
    assert not Aipd.objects.exists()


def test_read_pia_refuses_what_is_not_an_export():
    with pytest.raises(Refused, match="pas un fichier JSON lisible"):
        aipd.read_pia(b"{pas du json", "a.json")
    with pytest.raises(Refused, match="clé « pia » absente"):
        aipd.read_pia(b'{"answers": []}', "b.json")
    assert aipd.read_pia(json.dumps(_pia_export()).encode(), "c.json")["pia"]["name"]


def test_the_analysis_is_completed_in_terrinum_and_the_register_follows(rgpd_world):
    org, col, users = rgpd_world
    c = col["signy"]
    activity = Activite.objects.filter(collectivite=c).first() or Activite.objects.create(
        collectivite=c, nom="Vidéoprotection", finalites="x", base_legale="mission"
    )
    made = aipd.create(c, users["dpo"], "Vidéoprotection", activite=activity, modele="videoprotection")
    activity.refresh_from_db()
    assert activity.aipd_statut == "en-cours" and made.mesures.count() == 4 and made.reponses.filter(reference=321).get().liste
    # answers: a text, a list, the gauges of the three risks
    answers = {211: "Prévenir les atteintes aux biens.", 341: "Images perdues\nRéquisition impossible"}
    answers.update({r: 2 for r in (325, 335, 345)} | {r: 1 for r in (326, 336, 346)})
    assert aipd.save_answers(made, users["dpo"], answers) == 8
    assert aipd.save_answers(made, users["dpo"], answers) == 0  # nothing changed
    with pytest.raises(Refused, match="hors de l'échelle"):
        aipd.save_answers(made, users["dpo"], {325: 5})
    measure = aipd.add_measure(made, users["dpo"], "Sauvegarde de l'enregistreur", "Copie hebdomadaire hors site.")
    # the DPO evaluates: improvable needs an action plan
    with pytest.raises(Refused, match="plan d'action"):
        aipd.evaluate(made, users["dpo"], "3.2", 2)
    aipd.evaluate(made, users["dpo"], "3.2", 2, plan_action="Masquage des fenêtres", responsable="Police municipale", gravite=1, vraisemblance=1)
    aipd.evaluate(made, users["dpo"], "", 3, mesure=measure)
    assert [(r.risque, r.gravite, r.vraisemblance, r.gravite_residuelle) for r in aipd.risk_map(made)][0] == ("Accès illégitime à des données", 2, 1, 1)
    assert [e.plan_action for e in aipd.action_plan(made)] == ["Masquage des fenêtres"]
    # a member of the collectivité may not give the DPO's opinion nor evaluate
    with pytest.raises(Refused):
        aipd.give_opinions(made, users["gestionnaire"], dpo_statut=1, dpo_avis="Favorable")
    with pytest.raises(Refused, match="avant de valider : l'avis du DPO"):
        aipd.decide(made, users["gestionnaire"], 2)
    aipd.give_opinions(made, users["dpo"], dpo_noms="DPO mutualisé", dpo_statut=1, dpo_avis="Favorable sous réserve du plan d'action.")
    with pytest.raises(Refused, match="dites pourquoi"):
        aipd.give_opinions(made, users["gestionnaire"], personnes_consultees=False, personnes_consultation="")
    aipd.give_opinions(made, users["gestionnaire"], personnes_consultees=False, personnes_consultation="Lieu public : affichage et réunion publique.")
    with pytest.raises(Refused, match="un refus donne son motif"):
        aipd.decide(made, users["gestionnaire"], 1)
    aipd.decide(made, users["gestionnaire"], 2)
    activity.refresh_from_db()
    assert activity.aipd_statut == "faite"
    # what Terrinum added goes to the PIA tool's format too
    back = aipd.export_pia(made)
    assert back["pia"]["status"] == 2 and back["pia"]["dpo_status"] == 1
    assert any(e["reference_to"] == f"3.1.{measure.pk}" and e["status"] == 3 for e in back["evaluations"])
    assert any(a["reference_to"] == 341 and a["data"]["list"] == ["Images perdues", "Réquisition impossible"] for a in back["answers"])
    assert {"reference_to": "3.2", "x": 1, "y": 1} == next(
        {"reference_to": e["reference_to"], **e["gauges"]} for e in back["evaluations"] if e["reference_to"] == "3.2"
    )


def test_another_collectivite_s_accounts_cannot_import_or_read(rgpd_world):
    org, col, users = rgpd_world
    c = col["signy"]
    with pytest.raises(Refused):
        aipd.import_pia(c, _pia_export(), users["dpo-creuse"], "pia.json")


def test_the_command_line_imports_and_exports_an_analysis(rgpd_world, tmp_path):
    from typer.testing import CliRunner

    from terrinum.cli import app

    org, col, users = rgpd_world
    source = tmp_path / "pia.json"
    source.write_text(json.dumps(_pia_export()), encoding="utf-8")
    runner = CliRunner()
    args = ["rgpd", "aipd", "importer", str(source), "--collectivite", "Commune de Signy-l'Abbaye"]
    refused = runner.invoke(app, [*args, "--compte", "dpo-creuse"])
    assert refused.exit_code == 1 and not Aipd.objects.exists()
    done = runner.invoke(app, [*args, "--compte", "dpo"])
    assert done.exit_code == 0, done.output
    assert "5 réponse(s), 2 mesure(s), 4 évaluation(s), 2 commentaire(s)" in " ".join(done.output.split())
    made = Aipd.objects.get()
    target = tmp_path / "retour.json"
    assert runner.invoke(app, ["rgpd", "aipd", "exporter", str(made.pk), "--compte", "dpo-creuse", "--sortie", str(target)]).exit_code == 1
    assert runner.invoke(app, ["rgpd", "aipd", "exporter", str(made.pk), "--compte", "dpo", "--sortie", str(target)]).exit_code == 0
    assert _comparable(json.loads(target.read_text(encoding="utf-8"))) == _comparable(_pia_export())
    broken = tmp_path / "casse.json"
    broken.write_text('{"pia": {"name": "x"}, "answers": [{"reference_to": 999, "data": {}}]}', encoding="utf-8")
    wrong = runner.invoke(app, ["rgpd", "aipd", "importer", str(broken), "--collectivite", "Commune de Signy-l'Abbaye", "--compte", "dpo"])
    assert wrong.exit_code == 1 and "casse.json : answers[0].reference_to : 999" in " ".join(wrong.output.split())


def test_the_dpo_works_on_an_analysis_on_the_web(client, rgpd_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org, col, users = rgpd_world
    c = col["signy"]
    client.force_login(users["dpo"])
    upload = SimpleUploadedFile("pia.json", json.dumps(_pia_export()).encode(), content_type="application/json")
    answer = client.post(f"/rgpd/{c.pk}/", {"action": "aipd-importer", "fichier": upload})
    made = Aipd.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/rgpd/aipd/{made.pk}/"
    page = client.get(f"/rgpd/aipd/{made.pk}/").content.decode()
    assert "Six caméras sur la place" in page and "<p>Six" not in page  # the tool's HTML shown as text
    assert "Accès illégitime à des données" in page and "Masquer les fenêtres" in page  # risk map and action plan
    saved = client.post(
        f"/rgpd/aipd/{made.pk}/", {"action": "reponses", "q111": "Six caméras sur la place et les abords de l'école.", "q113": "Code de la sécurité intérieure"}
    )
    assert saved.status_code == 200 and "1 réponse(s) enregistrée(s)" in saved.content.decode()  # 111 unchanged: its HTML kept
    assert made.reponses.get(reference=111).texte.startswith("<p>")
    evaluated = client.post(f"/rgpd/aipd/{made.pk}/", {"action": "evaluer", "reference": "3.3", "statut": "3", "gravite": "1", "vraisemblance": "1"})
    assert evaluated.status_code == 200 and "acceptable" in evaluated.content.decode()
    exported = client.get(f"/rgpd/aipd/{made.pk}/outil-pia.json")
    assert exported["Content-Type"] == "application/json" and json.loads(exported.content)["pia"]["name"] == "Vidéoprotection du centre-bourg"
    # the collectivité's account decides, and may not evaluate
    client.force_login(users["gestionnaire"])
    refused = client.post(f"/rgpd/aipd/{made.pk}/", {"action": "evaluer", "reference": "1.1", "statut": "3"})
    assert refused.status_code == 403
    created = client.post(f"/rgpd/{c.pk}/", {"action": "aipd", "nom": "Dossiers d'aide sociale", "modele": "action-sociale"})
    assert created.status_code == 302 and Aipd.objects.filter(nom="Dossiers d'aide sociale", modele="action-sociale").exists()
    # another structure's DPO sees nothing
    client.force_login(users["dpo-creuse"])
    assert client.get(f"/rgpd/aipd/{made.pk}/").status_code == 404
    assert client.get(f"/rgpd/aipd/{made.pk}/outil-pia.json").status_code == 404
