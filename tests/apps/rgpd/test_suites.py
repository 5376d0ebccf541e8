"""A request not acted on (refused, inadmissible, manifestly unfounded) carries its reasons;
a breach carries what article 33.3 asks, the processing it concerns, the reasons of a late
notification, and a likely duplicate is flagged; its notification sheet prints."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from terrinum.apps.rgpd import services
from terrinum.apps.rgpd.models import Activite, Demande

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def test_a_request_not_acted_on_gives_its_reasons(client, rgpd_world, time_machine):
    org, col, users = rgpd_world
    time_machine.move_to(dt.datetime(2026, 3, 10, 9, tzinfo=PARIS))  # an injected clock: the request is three days old
    d = services.record_request(col["signy"], users["gestionnaire"], "effacement", timezone.now() - dt.timedelta(days=3))
    with pytest.raises(services.Refused, match="raisons à la personne"):
        services.answer_request(d, users["gestionnaire"], statut=Demande.INFONDEE)
    with pytest.raises(services.Refused, match="suite inconnue"):
        services.answer_request(d, users["gestionnaire"], statut="ignoree", motif="x")
    client.force_login(users["gestionnaire"])
    page = client.post(
        f"/rgpd/{col['signy'].pk}/", {"action": "repondre", "demande": d.pk, "suite": "infondee", "motif": "Sixième demande identique en un mois"}
    )
    assert page.status_code == 200 and "manifestement infondée ou excessive" in page.content.decode()
    d.refresh_from_db()
    assert (d.statut, d.motif) == (Demande.INFONDEE, "Sixième demande identique en un mois") and d.repondue_le is not None
    with pytest.raises(services.Refused, match="déjà close"):
        services.answer_request(d, users["gestionnaire"])
    assert not services.request_late(d, timezone.now())


def test_a_breach_carries_article_33_3_its_processing_a_late_notification_s_reasons_and_duplicates(client, rgpd_world):
    org, col, users = rgpd_world
    services.duplicate("cantine-periscolaire", [col["signy"]], users["dpo"])
    cantine = col["signy"].activites.get()
    known = dt.datetime(2026, 11, 2, 9, 0, tzinfo=PARIS)
    fields = {"natures": ["confidentialite"], "cause": "Courriel envoyé aux parents en copie visible", "donnees": "Adresses électroniques",
              "personnes": 180, "risque": "risque", "categories_personnes": "Parents d'élèves", "enregistrements": 180,
              "consequences": "Hameçonnage possible", "mesures": "Rappel du courriel, excuses, sensibilisation"}  # fmt: skip
    v = services.record_breach(col["signy"], users["gestionnaire"], connue_le=known, activites=[cantine], **fields)
    assert list(v.activites.all()) == [cantine] and v.doublon_de is None
    twin = services.record_breach(col["signy"], users["gestionnaire"], connue_le=known + dt.timedelta(hours=5), **fields)
    assert twin.doublon_de == v  # the same nature within 24 hours: flagged, not refused
    other = Activite.objects.create(collectivite=col["rethel"], nom="Autre", finalites="x", base_legale="contrat")
    with pytest.raises(services.Refused, match="registre de cette collectivité"):
        services.record_breach(col["signy"], users["gestionnaire"], connue_le=known, activites=[other], **fields)
    late = known + dt.timedelta(hours=80)
    with pytest.raises(services.Refused, match="donne les motifs"):
        services.notify_breach(v, users["gestionnaire"], when=late)
    services.notify_breach(v, users["gestionnaire"], when=late, motif_retard="Violation découverte un vendredi soir, DPO absent")
    v.refresh_from_db()
    assert v.notifiee_le == late and v.motif_retard.startswith("Violation découverte") and services.breach_late(v, late)
    client.force_login(users["gestionnaire"])
    sheet = client.get(f"/rgpd/violations/{v.pk}/notification.pdf")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    from io import BytesIO

    import pypdf

    text = " ".join(p.extract_text() for p in pypdf.PdfReader(BytesIO(sheet.content)).pages)
    for expected in ("Parents d'élèves", "Hameçonnage possible", "Restauration scolaire", "Motifs du retard", "DPO absent"):
        assert expected in text, expected
    client.force_login(users["dpo-creuse"])  # another structure's DPO
    assert client.get(f"/rgpd/violations/{v.pk}/notification.pdf").status_code == 404


def test_legal_wording_legitimate_interest_police_justice_and_the_ccas_model(client, rgpd_world):
    from terrinum.apps.rgpd import modeles

    org, col, users = rgpd_world
    a = Activite.objects.create(collectivite=col["signy"], nom="Lettre d'information", finalites="Informer", base_legale="interet-legitime")
    assert "ne peut pas fonder un traitement qu'une autorité publique" in services.warnings(a)[0]
    client.force_login(users["dpo"])
    assert "À revoir" in client.get(f"/rgpd/activites/{a.pk}/").content.decode()
    assert "titre III de la loi Informatique et Libertés" in modeles.BY_KEY["videoprotection"].justification
    done = services.duplicate("action-sociale", [col["signy"], col["ccas"], col["rethel"]], users["dpo"])
    assert done == {"creees": 1, "deja_presentes": 0, "autre_categorie": 2}  # the CCAS's model: not copied to the communes
    assert col["ccas"].activites.filter(nom="Action sociale (CCAS)").exists() and not col["signy"].activites.filter(nom="Action sociale (CCAS)").exists()


def test_a_copied_model_s_data_source_says_where_the_data_comes_from(rgpd_world):
    """« Source des données » held the model's legal references; they are in the justification."""
    from terrinum.apps.rgpd import modeles

    org, col, users = rgpd_world
    services.duplicate("videoprotection", [col["signy"]], users["dpo"])
    a = col["signy"].activites.get()
    model = modeles.BY_KEY["videoprotection"]
    assert a.source == "Les caméras du dispositif" and model.sources in a.justification and "L251-2" not in a.source


def test_the_migration_moves_the_references_of_copies_left_as_copied(rgpd_world):
    import importlib

    from django.apps import apps

    from terrinum.apps.rgpd import modeles

    org, col, users = rgpd_world
    model = modeles.BY_KEY["etat-civil"]
    old = Activite.objects.create(
        collectivite=col["signy"],
        nom=model.nom,
        finalites="x",
        base_legale="obligation-legale",
        justification="Code civil.",
        source=model.sources,
        modele="etat-civil",
    )
    edited = Activite.objects.create(
        collectivite=col["rethel"], nom=model.nom, finalites="x", base_legale="obligation-legale", source="Les familles", modele="etat-civil"
    )
    importlib.import_module("terrinum.apps.rgpd.migrations.0003_source_des_donnees").move_references(apps, None)
    old.refresh_from_db(), edited.refresh_from_db()
    assert old.source == modeles.ORIGINS["etat-civil"] and old.justification == f"Code civil. Références : {model.sources}"
    assert edited.source == "Les familles"  # what the DPO wrote stays


def test_the_register_opens_with_the_controller_and_the_dpo_and_dates_each_entry(client, rgpd_world):
    import io

    import pypdf

    org, col, users = rgpd_world
    services.set_dpo(
        col["signy"],
        users["dpo"],
        "",
        "DPO-12345",
        responsable="Le maire, Claire Martin",
        contact="Place de la mairie, 08460",
        dpo_contact="dpo@ardennes-numerique.fr",
    )
    a = Activite.objects.create(
        collectivite=col["signy"],
        nom="Portail famille",
        finalites="Inscriptions",
        base_legale="mission-publique",
        responsables_conjoints="Syndicat scolaire, 08460",
    )
    row = services.register_rows(col["signy"])[0]
    assert row["Responsables conjoints"] == "Syndicat scolaire, 08460" and row["Créée le"] == timezone.localtime(a.cree_le).strftime("%d/%m/%Y")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(services.register_pdf(col["signy"]))).pages)
    assert "Le maire, Claire Martin" in text and "dpo@ardennes-numerique.fr" in text
    assert services.export_json(col["signy"])["collectivite"]["responsable"] == "Le maire, Claire Martin"


def test_every_change_of_the_register_is_in_its_journal_for_the_dpo(client, rgpd_world):
    from terrinum.apps.rgpd.models import Trace

    org, col, users = rgpd_world
    services.duplicate("etat-civil", [col["signy"]], users["dpo"])
    a = col["signy"].activites.get()
    a.finalites = "Tenir les registres d'état civil et délivrer les actes"
    services.save_activity(a, users["gestionnaire"])
    services.save_activity(a, users["gestionnaire"])  # nothing changed: no line
    services.set_status(a, Activite.TERMINE, users["gestionnaire"])
    services.set_dpo(col["signy"], users["dpo"], "", "DPO-12345", responsable="Le maire")
    lines = list(Trace.objects.filter(collectivite=col["signy"]).order_by("id"))
    assert [t.action for t in lines] == ["copiée du modèle « etat-civil »", "modifiée", "statut", "responsable et DPO"]
    changed = dict((f, (b, n)) for f, b, n in lines[1].changes())
    assert set(changed) == {"finalites"} and changed["finalites"][1].startswith("Tenir les registres") and lines[1].par == users["gestionnaire"]
    with pytest.raises(ValueError):
        lines[1].save()
    client.force_login(users["dpo"])
    page = client.get(f"/rgpd/{col['signy'].pk}/").content.decode()
    assert "Journal des modifications du registre" in page and "Tenir les registres" in page
    client.force_login(users["gestionnaire"])  # the commune's secretary keeps the register, the DPO reads its journal
    assert "Journal des modifications du registre" not in client.get(f"/rgpd/{col['signy'].pk}/").content.decode()
