"""Registers brought in from spreadsheets: Terrinum's own exports (ODS, XLSX) come back
unchanged into another collectivité (round trip), a hand-kept register with the CNIL model's
column names is read and its other columns reported, a re-import changes nothing, a bad value
stops the import at its line and column with nothing written."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from terrinum import ods
from terrinum.apps.rgpd import services, tableur
from terrinum.apps.rgpd.models import Activite

pytestmark = pytest.mark.django_db
CARRIED = services.COLUMNS[:15]  # what a spreadsheet carries (AIPD state, status and dates are Terrinum's)


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _register(world):
    org, col, users = world
    services.duplicate("etat-civil", [col["signy"]], users["dpo"])
    services.duplicate("videoprotection", [col["signy"]], users["dpo"])
    custom = Activite(collectivite=col["signy"], nom="Gestion des aides du CCAS", finalites="Instruire les demandes ; verser les aides", base_legale="mission-publique",
                      justification="Code de l'action sociale et des familles, art. L123-5", personnes=["Demandeurs", "Ayants droit"],
                      destinataires=[{"nom": "Trésorerie", "type": "externe"}, {"nom": "Service social", "type": "interne"}],
                      transferts="Prestataire d'hébergement au Canada", garanties="Décision d'adéquation", mesures=["controle-acces", "sauvegardes"],
                      logiciels="Logiciel d'aides", source="Le demandeur ; la CAF")  # fmt: skip
    services.save_activity(custom, users["dpo"], donnees=[
        {"categorie": "Identité", "duree": "5 ans après la dernière aide", "sort_final": "archives"},
        {"categorie": "Numéro de sécurité sociale", "duree": "5 ans", "sensible": True, "nir": True},
        {"categorie": "Santé", "duree": "2 ans", "sensible": True, "sort_final": "anonymisation"},
    ])  # fmt: skip
    return col["signy"]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_an_exported_register_comes_back_unchanged_and_a_reimport_changes_nothing(rgpd_world, fmt):
    org, col, users = rgpd_world
    source = _register(rgpd_world)
    raw = services.register_xlsx(source) if fmt == "xlsx" else services.register_ods(source)
    report = tableur.import_spreadsheet(col["rethel"], raw, f"registre.{fmt}", users["dpo"])
    assert report.lignes == 3 and len(report.creees) == 3 and set(report.ignorees) == set(tableur.COMPUTED)
    before = [{k: r[k] for k in CARRIED} for r in services.register_rows(source)]
    after = [{k: r[k] for k in CARRIED} for r in services.register_rows(col["rethel"])]
    assert sorted(after, key=lambda r: r["Activité"]) == sorted(before, key=lambda r: r["Activité"])
    stamps = list(col["rethel"].activites.order_by("nom").values_list("modifie_le", flat=True))
    again = tableur.import_spreadsheet(col["rethel"], raw, f"registre.{fmt}", users["dpo"])
    assert (again.creees, again.mises_a_jour, len(again.inchangees)) == ([], [], 3)
    assert list(col["rethel"].activites.order_by("nom").values_list("modifie_le", flat=True)) == stamps


def test_a_hand_kept_register_with_the_cnil_model_s_columns_is_read_and_reported(rgpd_world):
    org, col, users = rgpd_world
    raw = _xlsx([
        ["Registre des activités de traitement de la commune de Rethel"],
        [],
        ["Nom / sigle", "Finalité principale", "Base juridique", "Personnes concernées", "Catégories de données personnelles concernées",
         "Durée de conservation", "Destinataires", "Mesures de sécurité", "Observations"],
        ["Fichier des seniors", "Plan canicule : contacter les personnes isolées", "Mission d'intérêt public", "Personnes âgées\nPersonnes handicapées",
         "Identité ; Coordonnées", "Jusqu'à la radiation", "Service social (interne)", "Contrôle d'accès des utilisateurs ; Coffre-fort", "à revoir en 2027"],
    ])  # fmt: skip
    report = tableur.import_spreadsheet(col["rethel"], raw, "rethel.xlsx", users["dpo"])
    assert report.creees == ["Fichier des seniors"] and "Observations" in report.ignorees
    assert report.valeurs == [
        "rethel.xlsx, ligne 4, mesures de sécurité : « Coffre-fort » n'est pas une mesure de la liste (gardée dans les recommandations à reprendre)"
    ]
    a = col["rethel"].activites.get()
    assert (a.base_legale, a.personnes, a.mesures, a.statut) == (
        "mission-publique",
        ["Personnes âgées", "Personnes handicapées"],
        ["controle-acces"],
        Activite.BROUILLON,
    )
    assert [(d.categorie, d.duree) for d in a.donnees.all()] == [("Identité", "Jusqu'à la radiation"), ("Coordonnées", "Jusqu'à la radiation")]
    assert a.destinataires == [{"nom": "Service social", "type": "interne"}]


def test_a_bad_line_stops_the_import_naming_file_line_and_column_and_writes_nothing(rgpd_world):
    org, col, users = rgpd_world
    header = ["Activité", "Finalités", "Base légale", "Catégories de données", "Durées de conservation et sort final"]
    good = ["Listes électorales", "Tenir les listes", "Obligation légale (art. 6.1.c)", "Identité", "Identité : 5 ans (destruction)"]
    cases = [
        ([header, good, ["Cantine", "Facturer", "Parce que", "Identité", "1 an"]], "ligne 3, colonne base légale : « Parce que » n'est aucune des bases"),
        ([header, good, good], "ligne 3 : l'activité « Listes électorales » figure deux fois"),
        ([header, good, ["Cantine", "", "Contrat", "Identité", "1 an"]], "ligne 3 : Finalités obligatoire"),
        ([header, good, ["Cantine", "Facturer", "Contrat", "Identité ; Santé", "Identité : 1 an"]], "aucune durée pour « Santé »"),
        ([["Nom", "Description"], ["x", "y"]], "aucune ligne d'en-tête avec les colonnes « Activité »"),
    ]
    for rows, reason in cases:
        with pytest.raises(services.Refused, match=reason.replace("(", r"\(").replace(")", r"\)")):
            tableur.import_spreadsheet(col["rethel"], _xlsx(rows), "registre.xlsx", users["dpo"])
        assert not col["rethel"].activites.exists()
    for raw, reason in ((b"Activite;Finalites\n", "ni ODS ni XLSX"), (b"PK\x03\x04 damaged", "ni ODS ni XLSX")):
        with pytest.raises(services.Refused, match=reason):
            tableur.import_spreadsheet(col["rethel"], raw, "registre.xlsx", users["dpo"])
    with pytest.raises(services.Refused):  # an account of another structure
        tableur.import_spreadsheet(col["rethel"], _xlsx([header, good]), "registre.xlsx", users["dpo-creuse"])


def test_the_web_page_and_the_command_line_take_a_spreadsheet(client, rgpd_world, tmp_path):
    from terrinum.cli import app

    org, col, users = rgpd_world
    raw = ods.sheet("Registre", ["Activité", "Finalités", "Base légale", "Remarques"], [["Salles communales", "Louer les salles", "Contrat", "—"]])
    client.force_login(users["dpo"])
    page = client.post(f"/rgpd/{col['rethel'].pk}/", {"action": "importer", "fichier": io.BytesIO(raw)})
    html = page.content.decode()
    assert page.status_code == 200 and "1 créée(s)" in html and "« Remarques » : non reprise" in html
    path = tmp_path / "registre.ods"
    path.write_bytes(raw)
    done = CliRunner().invoke(app, ["rgpd", "importer", str(col["rethel"]), str(path), "--compte", "dpo"])
    assert done.exit_code == 0, done.output
    assert "0 créée(s)" in done.output and "1 inchangée(s)" in done.output and "Remarques" in done.output
