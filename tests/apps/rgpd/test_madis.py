"""Registers brought in from Madis: its CSV exports of treatments and contractors (the columns
of its `Reporting/Generator/Csv` generators), for every collectivité of the structure at once;
each row into its collectivité, every column mapped or reported, errors named by file, line
and column with nothing written, re-import changing nothing."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from terrinum.apps.rgpd import madis
from terrinum.apps.rgpd.models import Activite, Collectivite, SousTraitant
from terrinum.apps.rgpd.services import Refused

pytestmark = pytest.mark.django_db

TREATMENT_HEADER = ["Nom", "Structure - Nom", "Structure - SIREN", "Structure - Code INSEE", "En tant que", "Coordonnées du responsable de traitement",
    "Finalités", "Gestionnaire", "État", "Base légale", "Justification de la base légale", "Observations", "Registre public", "Est exempté d'AIPD",
    "Préconisations", "Catégorie de données", "Catégorie des données - Autres catégories", "Destination - Catégorie de destinataires",
    "Destination - Sous-traitants", "Historique - Créé par", "Historique - Date de création", "Historique - Date de modification",
    *[f"Détails - Personnes concernées - {p}{c}" for p in madis.PEOPLE for c in ("", " - Commentaire")],
    "Détails - Nombre de personnes concernées", "Détails - Logiciels et supports", "Détails - Traitement papier",
    "Détails - Délai de conservation - Durée", "Détails - Délai de conservation - Nom", "Détails - Délai de conservation - Sort final",
    "Détails - Origine des données", "Détails - Moyens de la collecte",
    *[f"Mesures de sécurité et confidentialité - {m}{c}" for m in ("Contrôle d'accès", "Traçabilité", "Sauvegarde", "Mise à jour", "Autres") for c in ("", " - Commentaire")],
    "Mesures de sécurité et confidentialité - À tout moment il est possible de ressortir les personnes habilitées",
    "Mesures de sécurité et confidentialité - La personne ou la procédure qui permet d’ouvrir des comptes est clairement identifiée",
    "Mesures de sécurité et confidentialité - Les spécificités de sensibilisation liées à ce traitement sont délivrées",
    *[f"Traitement spécifique - {s}" for s in ("Surveillance systématique", "Collecte à large échelle", "Personnes vulnérables", "Croisement de données",
      "Évaluation ou notation", "Décisions automatisées avec effet", "Exclusion automatique d'un service", "Usage innovant")],
    "Nb Preuves"]  # fmt: skip
CONTRACTOR_HEADER = ["Nom", "Structure - Nom", "Structure - SIREN", "Structure - Code INSEE", "Agent référent", "Clauses contractuelles vérifiées",
    "Adopte les éléments de sécurité nécessaires", "Tient à jour un registre des traitements", "Envoi des données hors UE", "Autres informations",
    "DPD - Le sous-traitant a désigné un DPD", "DPD - Civilité", "DPD - Prénom", "DPD - Nom", "DPD - Fonction", "DPD - Email", "DPD - Téléphone",
    "Historique - Créé par", "Historique - Date de création", "Historique - Date de modification", "Coordonnées - Prénom", "Coordonnées - Nom",
    "Coordonnées - Adresse", "Coordonnées - Complément d'adresse", "Coordonnées - Code postal", "Coordonnées - Ville", "Coordonnées - Email",
    "Coordonnées - Téléphone", "Preuves", "Traitements"]  # fmt: skip


def _csv(header: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _treatments(**changes) -> list[dict]:
    etat_civil = {
        "Nom": "État civil", "Structure - Nom": "Commune de Signy-l'Abbaye", "Structure - Code INSEE": "08419", "En tant que": "Responsable de traitement",
        "Coordonnées du responsable de traitement": "Le maire, 1 place de la mairie, 08460 Signy-l'Abbaye", "Finalités": "Tenue des registres d'état civil",
        "Gestionnaire": "Service état civil", "État": "Actif", "Base légale": "L'obligation légale", "Justification de la base légale": "Code civil, art. 34 et suivants",
        "Observations": "RAS", "Registre public": "Non", "Est exempté d'AIPD": "Non", "Préconisations": "Vérifier les habilitations",
        "Catégorie de données": "État civil - Filiation - Numéro de Sécurité Sociale", "Catégorie des données - Autres catégories": "Mentions marginales",
        "Destination - Catégorie de destinataires": "INSEE ; Autres communes", "Destination - Sous-traitants": "Éditeur Logiciel État civil",
        "Historique - Date de création": "12/03/2019 à 14:05", "Détails - Personnes concernées - Particuliers": "Oui",
        "Détails - Personnes concernées - Particuliers - Commentaire": "déclarants", "Détails - Personnes concernées - Salariés": "Non",
        "Détails - Logiciels et supports": "Logiciel État civil ; registres papier", "Détails - Délai de conservation - Durée": "1: 75 ans \r\n2: 100 ans \r\n",
        "Détails - Délai de conservation - Nom": "1: Actes de naissance\r\n2: Actes de décès\r\n", "Détails - Délai de conservation - Sort final": "1: Versement\r\n2: Versement\r\n",
        "Détails - Origine des données": "Les déclarants", "Mesures de sécurité et confidentialité - Contrôle d'accès": "Oui",
        "Mesures de sécurité et confidentialité - Contrôle d'accès - Commentaire": "Comptes nominatifs", "Mesures de sécurité et confidentialité - Sauvegarde": "Oui",
        "Mesures de sécurité et confidentialité - Les spécificités de sensibilisation liées à ce traitement sont délivrées": "Oui",
        "Traitement spécifique - Surveillance systématique": "Non", "Nb Preuves": "2",
    }  # fmt: skip
    videos = {
        "Nom": "Vidéoprotection", "Structure - Nom": "Commune de Rethel", "Structure - Code INSEE": "08362", "En tant que": "Responsable de traitement",
        "Finalités": "Protection des bâtiments publics", "État": "Inactif", "Base légale": "L'exécution d'une mission d'intérêt public",
        "Catégorie de données": "Photos-vidéos", "Historique - Date de création": "01/06/2021 à 09:00",
        "Traitement spécifique - Surveillance systématique": "Oui", "Traitement spécifique - Collecte à large échelle": "Oui",
    }  # fmt: skip
    undecided = {"Nom": "Fichier des associations", "Structure - Nom": "Commune de Rethel", "Finalités": "Annuaire", "Base légale": "À déterminer"}
    rows = [etat_civil, videos, undecided]
    for i, change in changes.items():
        rows[int(i[1:])].update(change)
    return rows


CONTRACTORS = [
    {"Nom": "Éditeur Logiciel État civil", "Structure - Nom": "Commune de Signy-l'Abbaye", "Agent référent": "Mme Durand", "Clauses contractuelles vérifiées": "Oui",
     "Tient à jour un registre des traitements": "Oui", "Envoi des données hors UE": "Non", "DPD - Le sous-traitant a désigné un DPD": "Oui",
     "DPD - Prénom": "Paul", "DPD - Nom": "Martin", "DPD - Email": "dpo@editeur.example", "Coordonnées - Adresse": "3 rue des Lilas",
     "Coordonnées - Code postal": "51100", "Coordonnées - Ville": "Reims", "Traitements": "État civil"},
]  # fmt: skip


def test_a_structure_s_madis_exports_go_to_each_collectivite_s_register(rgpd_world):
    org, col, users = rgpd_world
    files = [("traitements.csv", _csv(TREATMENT_HEADER, _treatments())), ("sous-traitants.csv", _csv(CONTRACTOR_HEADER, CONTRACTORS))]
    done = dict(madis.import_files(org["ardennes"], users["dpo"], files))
    t, s = done["traitement"], done["sous-traitant"]
    assert t.creees == ["Commune de Signy-l'Abbaye : État civil", "Commune de Rethel : Vidéoprotection"] and s.creees == [
        "Commune de Signy-l'Abbaye : Éditeur Logiciel État civil"
    ]
    assert t.non_importees == ["traitements.csv, ligne 4 : « Fichier des associations » — base légale « À déterminer » dans Madis (à choisir, puis réimporter)"]
    assert "Gestionnaire" in t.ignorees and "Nb Preuves" in t.ignorees and "Finalités" in t.colonnes
    assert any("Vidéoprotection » est inactif dans Madis" in v for v in t.valeurs)
    a = Activite.objects.get(collectivite=col["signy"], nom="État civil")
    assert (a.base_legale, a.role, a.justification, a.source) == ("obligation-legale", "responsable", "Code civil, art. 34 et suivants", "Les déclarants")
    assert a.personnes == ["Particuliers (déclarants)"] and a.mesures == ["controle-acces", "sauvegardes", "sensibilisation"]
    assert {(d.categorie, d.sensible, d.nir, d.sort_final) for d in a.donnees.all()} == {
        ("État civil", False, False, "archives"), ("Filiation", False, False, "archives"),
        ("Numéro de Sécurité Sociale", True, True, "archives"), ("Mentions marginales", False, False, "archives"),
    }  # fmt: skip
    assert a.donnees.first().duree == "Actes de naissance : 75 ans ; Actes de décès : 100 ans"
    assert {"nom": "Éditeur Logiciel État civil", "type": "sous-traitant"} in a.destinataires and {"nom": "INSEE", "type": "externe"} in a.destinataires
    assert timezone.localtime(a.cree_le).strftime("%d/%m/%Y %H:%M") == "12/03/2019 14:05" and "Comptes nominatifs" in a.recommandations
    assert col["signy"].__class__.objects.get(pk=col["signy"].pk).contact.startswith("Le maire")
    v = Activite.objects.get(collectivite=col["rethel"], nom="Vidéoprotection")
    assert set(v.criteres_aipd) == {"surveillance", "grande-echelle"} and v.aipd_requise
    p = SousTraitant.objects.get(collectivite=col["signy"])
    assert list(p.activites.values_list("nom", flat=True)) == ["État civil"]  # linked to the activity it serves
    assert p.tient_registre is True and "Paul Martin" in p.dpo_contact and "51100 Reims" in p.adresse and p.clauses == []
    assert "Clauses contractuelles vérifiées (Madis) : Oui" in p.notes
    # the same files again: nothing changes
    again = dict(madis.import_files(org["ardennes"], users["dpo"], files))
    assert again["traitement"].creees == again["traitement"].mises_a_jour == [] and len(again["traitement"].inchangees) == 2
    assert again["sous-traitant"].inchangees == ["Commune de Signy-l'Abbaye : Éditeur Logiciel État civil"]


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"r0": {"Base légale": "Le bon vouloir"}}, "traitements.csv, ligne 2, colonne « Base légale » : « Le bon vouloir »"),
        ({"r1": {"Détails - Délai de conservation - Sort final": "1: Brûlé"}}, "ligne 3, colonne « Détails - Délai de conservation - Sort final » : « Brûlé »"),
        ({"r1": {"Historique - Date de création": "2021-06-01"}}, "ligne 3, colonne « Historique - Date de création » : « 2021-06-01 »"),
        ({"r0": {"En tant que": "Observateur"}}, "ligne 2, colonne « En tant que » : « Observateur »"),
    ],
)
def test_a_wrong_value_names_file_line_and_column_and_writes_nothing(rgpd_world, changes, said):
    org, col, users = rgpd_world
    with pytest.raises(Refused) as refused:
        madis.import_files(
            org["ardennes"],
            users["dpo"],
            [("traitements.csv", _csv(TREATMENT_HEADER, _treatments(**changes))), ("st.csv", _csv(CONTRACTOR_HEADER, CONTRACTORS))],
        )
    assert said in str(refused.value)
    assert not Activite.objects.exists() and not SousTraitant.objects.exists()


def test_unknown_collectivites_are_named_or_created_on_request(rgpd_world):
    org, col, users = rgpd_world
    rows = _treatments(r1={"Structure - Nom": "Commune de Novion-Porcien", "Structure - Code INSEE": "08326"})
    files = [("traitements.csv", _csv(TREATMENT_HEADER, rows))]
    with pytest.raises(Refused, match=r"« Commune de Novion-Porcien » \(ligne 3\).*rien n'est écrit"):
        madis.import_files(org["ardennes"], users["dpo"], files)
    assert not Activite.objects.exists()
    done = dict(madis.import_files(org["ardennes"], users["dpo"], files, create=True))
    assert done["traitement"].collectivites_creees == ["Commune de Novion-Porcien"]
    novion = Collectivite.objects.get(organisation__nom="Commune de Novion-Porcien")
    assert (novion.insee, novion.categorie) == ("08326", "commune") and novion.organisation in org["ardennes"].collectivites_servies.all()


def test_only_the_structure_s_dpo_imports_and_a_foreign_file_is_refused(rgpd_world):
    org, col, users = rgpd_world
    files = [("traitements.csv", _csv(TREATMENT_HEADER, _treatments()))]
    for who in ("dpo-creuse", "gestionnaire", "referent"):
        with pytest.raises(Refused, match="seul le DPO"):
            madis.import_files(org["ardennes"], users[who], files)
    with pytest.raises(Refused, match="ni l'export des traitements ni celui des sous-traitants"):
        madis.import_files(org["ardennes"], users["dpo"], [("autre.csv", b"a;b\n1;2\n")])


def test_the_dpo_brings_madis_in_from_the_dashboard_and_the_command_line(client, rgpd_world, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from typer.testing import CliRunner

    from terrinum.cli import app

    org, col, users = rgpd_world
    client.force_login(users["dpo"])
    page = client.post("/rgpd/", {"action": "madis", "structure": org["ardennes"].pk,
                                  "fichiers": [SimpleUploadedFile("traitements.csv", _csv(TREATMENT_HEADER, _treatments()))]})  # fmt: skip
    text = page.content.decode()
    assert page.status_code == 200 and "3 traitement(s) lu(s) : 2 créé(s)" in text and "Fichier des associations" in text
    (tmp_path / "st.csv").write_bytes(_csv(CONTRACTOR_HEADER, CONTRACTORS))
    done = CliRunner().invoke(app, ["rgpd", "madis", str(tmp_path / "st.csv"), "--structure", "Ardennes Numérique (mutualisation)", "--compte", "dpo"])
    assert done.exit_code == 0, done.output
    assert "1 sous-traitant(s) lu(s) : 1 créé(s)" in " ".join(done.output.split())


def test_the_registers_go_back_to_madis_s_format_and_read_back_unchanged(rgpd_world):
    """Round trip: Madis's export in, Terrinum's export in Madis's columns out, and that file
    read back changes nothing (what Madis can carry: its measures, its fates)."""
    org, col, users = rgpd_world
    madis.import_files(org["ardennes"], users["dpo"], [("traitements.csv", _csv(TREATMENT_HEADER, _treatments()))])
    exported = madis.export_treatments([col["signy"], col["rethel"]])
    header = next(csv.reader(io.StringIO(exported.decode("utf-8-sig")), delimiter=";"))
    assert set(header) <= set(TREATMENT_HEADER) and exported.startswith("\ufeff".encode())
    again = madis.import_treatments(org["ardennes"], exported, "retour.csv", users["dpo"])
    assert again.creees == again.mises_a_jour == [] and sorted(again.inchangees) == [
        "Commune de Rethel : Vidéoprotection",
        "Commune de Signy-l'Abbaye : État civil",
    ]


def test_the_madis_export_is_for_the_structure_s_dpo(rgpd_world, client):
    org, col, users = rgpd_world
    madis.import_files(org["ardennes"], users["dpo"], [("traitements.csv", _csv(TREATMENT_HEADER, _treatments()))])
    for who, status in (("dpo", 200), ("dpo-creuse", 404), ("gestionnaire", 404)):
        client.force_login(users[who])
        assert client.get(f"/rgpd/structures/{org['ardennes'].pk}/traitements-madis.csv").status_code == status, who
    client.force_login(users["dpo"])
    body = client.get(f"/rgpd/structures/{org['ardennes'].pk}/traitements-madis.csv").content.decode("utf-8-sig")
    assert "Vidéoprotection" in body and "État civil" in body


def test_a_treatment_carried_out_as_processor_goes_to_the_article_30_2_register(rgpd_world, client):
    org, col, users = rgpd_world
    rows = _treatments(r0={"En tant que": "Sous-traitant", "Coordonnées du responsable de traitement": "Commune de Launois-sur-Vence, 1 place de la mairie"})
    madis.import_files(org["ardennes"], users["dpo"], [("traitements.csv", _csv(TREATMENT_HEADER, rows))])
    a = Activite.objects.get(collectivite=col["signy"], nom="État civil")
    assert (a.role, a.pour_le_compte_de) == ("sous-traitant", "Commune de Launois-sur-Vence, 1 place de la mairie")
    assert not Collectivite.objects.get(pk=col["signy"].pk).contact  # not the collectivité's own controller's contact
    client.force_login(users["dpo"])
    page = client.get(f"/rgpd/{col['signy'].pk}/").content.decode()
    assert "registre de l&#x27;article 30.2" in page or "registre de l'article 30.2" in page
    assert "Commune de Launois-sur-Vence" in page
