import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from frictionless import Resource, Schema, system

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.inclusion import services
from terrinum.apps.inclusion.models import Lieu, LieuChangement
from terrinum.sources import lieux
from tests.apps.inclusion.factories import place, write_csv, write_json

pytestmark = pytest.mark.django_db


def load(path, source="fichier", accept=False):
    return services.import_parsed(lieux.parse_standard(path), path.name, source, accept_rejects=accept)


def frictionless_report(path):
    schema = Schema.from_descriptor(lieux.schema())
    with system.use_context(trusted=True):
        return Resource(path=str(path), schema=schema).validate()


def test_import_reconciles_commune_and_reimport_changes_nothing(tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        [
            place(id="a"),
            place(
                id="b",
                nom="Mairie de Signy-l'Abbaye",
                code_insee="",
                code_postal="08460",
                commune="Signy-l'Abbaye",
                latitude="49.699",
                longitude="4.418",
                pivot="21080419600015",
            ),
        ],
    )
    report = load(path)
    assert (report.creees, report.inchangees) == (2, 0)
    assert dict(Lieu.objects.values_list("identifiant", "commune_code")) == {"a": "23096", "b": "08419"}
    again = load(path)
    assert (again.creees, again.mises_a_jour, again.fusionnees, again.inchangees) == (0, 0, 0, 2)
    assert LieuChangement.objects.count() == 2


def test_one_bad_row_refuses_the_file_unless_accepted(tmp_path):
    path = write_csv(tmp_path / "a.csv", [place(id="a"), place(id="b", frais_a_charge="Offert")])
    with pytest.raises(services.ImportRefused) as exc:
        load(path)
    assert "ligne 3, champ « frais_a_charge »" in str(exc.value.problems[0])
    assert Lieu.objects.count() == 0
    report = load(path, accept=True)
    assert report.creees == 1 and len(report.rejetees) == 1


def test_same_place_from_two_sources_is_merged_with_field_provenance(tmp_path):
    load(write_csv(tmp_path / "a.csv", [place(id="a", source="Source A", telephone="")]))
    newer = place(
        id="x-17",
        source="Source B",
        nom="Mediatheque du Grand-Gueret",
        latitude="46.1707",
        longitude="1.8716",
        pivot="00000000000000",
        telephone="+33555520000",
        horaires="Mo-Fr 09:00-17:00",
        date_maj="2025-01-15",
    )
    report = load(write_csv(tmp_path / "b.csv", [newer]))
    assert report.fusionnees == 1 and Lieu.objects.count() == 1
    lieu = Lieu.objects.get()
    assert lieu.identifiant == "a"
    assert lieu.telephone == "+33555520000" and lieu.provenance["telephone"]["source"] == "Source B"
    assert lieu.horaires == "Mo-Fr 09:00-17:00"  # newer update wins
    assert lieu.provenance["adresse"]["source"] == "Source B"
    # Re-importing the older source does not undo the newer values, and finds the place again.
    again = load(write_csv(tmp_path / "a.csv", [place(id="a", source="Source A", telephone="")]))
    assert again.inchangees == 1
    assert Lieu.objects.get().horaires == "Mo-Fr 09:00-17:00"


def test_different_places_nearby_are_not_merged(tmp_path):
    load(write_csv(tmp_path / "a.csv", [place(id="a", source="Source A")]))
    other = place(
        id="b", source="Source B", nom="France Services de Guéret", adresse="1 place Bonnyaud", latitude="46.1712", longitude="1.8700", pivot="13002526500013"
    )
    same_siret_far = place(id="c", source="Source B", nom="Médiathèque du Grand Guéret", latitude="46.20", longitude="1.95")
    report = load(write_csv(tmp_path / "b.csv", [other, same_siret_far]))
    assert report.fusionnees == 0 and Lieu.objects.count() == 3


def test_id_taken_by_another_source_is_rejected(tmp_path):
    load(write_csv(tmp_path / "a.csv", [place(id="structure-1", source="Source A")]))
    path = write_csv(
        tmp_path / "b.csv",
        [
            place(
                id="structure-1",
                source="Source B",
                nom="Autre lieu",
                code_insee="08419",
                code_postal="08460",
                commune="Signy-l'Abbaye",
                latitude="49.699",
                longitude="4.418",
            )
        ],
    )
    with pytest.raises(services.ImportRefused, match="déjà pris"):
        load(path)


def test_export_validates_against_the_schema_and_round_trips(tmp_path):
    rows = [place(id="a"), place(id="b", nom="Espace numérique", pivot="12345678901234", latitude="", longitude="", services="")]
    load(write_csv(tmp_path / "in.csv", rows))
    first = services.to_csv(services.export_rows())
    (tmp_path / "out.csv").write_text(first, encoding="utf-8")
    assert frictionless_report(tmp_path / "out.csv").valid
    Lieu.objects.all().delete()
    load(tmp_path / "out.csv", source="out.csv")
    assert services.to_csv(services.export_rows()) == first
    as_json = services.to_json(services.export_rows())
    Lieu.objects.all().delete()
    load(write_json(tmp_path / "out.json", json.loads(as_json)))
    assert services.to_csv(services.export_rows()) == first


def test_the_validator_used_for_exports_can_fail(tmp_path):
    load(write_csv(tmp_path / "in.csv", [place(id="a")]))
    text = services.to_csv(services.export_rows()).replace("Gratuit", "Offert")
    (tmp_path / "bad.csv").write_text(text, encoding="utf-8")
    assert not frictionless_report(tmp_path / "bad.csv").valid


@pytest.mark.realdata
def test_real_libraries_round_trip_through_the_standard(tmp_path, real_data):
    parsed = lieux.parse_libraries(real_data / "lieux" / "bibliotheques_publiques.csv", date_maj=dt.date(2026, 1, 1))
    report = services.import_parsed(parsed, "bibliotheques_publiques.csv", lieux.LIBRARY_SOURCE, accept_rejects=True)
    assert report.creees == len(parsed.rows) > 15000
    assert Lieu.objects.filter(commune_code__isnull=True).count() == len(report.sans_commune) < 30
    assert Lieu.objects.get(identifiant="bibliotheque-8724").commune_code == "60093"
    exported = services.to_csv(services.export_rows())
    path = tmp_path / "export.csv"
    path.write_text(exported, encoding="utf-8")
    result = frictionless_report(path)
    assert result.valid, result.flatten(["rowNumber", "fieldName", "note"])[:5]
    Lieu.objects.all().delete()
    load(path, source="export.csv")
    assert services.to_csv(services.export_rows()) == exported


def test_policy_place_manager_territory_admin_and_others(tmp_path):
    load(
        write_csv(
            tmp_path / "a.csv",
            [
                place(id="gueret"),
                place(id="signy", nom="Mairie", code_insee="08419", code_postal="08460", commune="Signy-l'Abbaye", latitude="49.699", longitude="4.418"),
            ],
        )
    )
    gueret, signy = Lieu.objects.get(identifiant="gueret"), Lieu.objects.get(identifiant="signy")
    lieu_org = Organisation.objects.create(nom="Médiathèque", type=Organisation.LIEU)
    gueret.organisation = lieu_org
    gueret.save()
    creuse = Organisation.objects.create(nom="Département de la Creuse", type=Organisation.COLLECTIVITE, territoire_niveau="departement", territoire_code="23")
    cdg = Organisation.objects.create(nom="CDG 08", type=Organisation.MUTUALISATION)
    cdg.collectivites_servies.add(
        Organisation.objects.create(nom="CC des Crêtes", type=Organisation.COLLECTIVITE, territoire_niveau="epci", territoire_code="240800862")
    )
    manager, admin23, reader, structure, nobody = (User.objects.create_user(n) for n in ("manager", "admin23", "reader", "structure", "nobody"))
    Membership.objects.create(user=manager, organisation=lieu_org, role=Membership.GESTIONNAIRE)
    Membership.objects.create(user=admin23, organisation=creuse, role=Membership.ADMIN)
    Membership.objects.create(user=reader, organisation=creuse, role=Membership.MEMBRE)
    Membership.objects.create(user=structure, organisation=cdg, role=Membership.ADMIN)
    from django.contrib.auth.models import AnonymousUser

    from terrinum.accounts import policy

    assert policy.can_change(manager, gueret) and not policy.can_change(manager, signy)
    assert policy.can_change(admin23, gueret) and not policy.can_change(admin23, signy)
    assert policy.can_change(structure, signy) and not policy.can_change(structure, gueret)
    assert not policy.can_change(reader, gueret)
    assert not policy.can_change(nobody, gueret) and not policy.can_change(AnonymousUser(), gueret)
    with pytest.raises(PermissionError):
        services.update_place(signy, {"telephone": "+33324000000"}, manager)
    with pytest.raises(ValueError):  # the Pass numérique label follows the funders' qualifications
        services.update_place(gueret, {"telephone": "+33555520000"}, manager, labels={"pass_numerique": True})
    with pytest.raises(PermissionError):  # a local label is the territory's to give, not the place's
        services.update_place(gueret, {"telephone": "+33555520000"}, manager, labels={"comptoir_numerique": True})
    changes = services.update_place(gueret, {"telephone": "+33555520000"}, admin23, labels={"comptoir_numerique": True})
    assert changes == {"telephone": [None, "+33555520000"], "comptoir_numerique": [False, True]}
    log = gueret.changements.first()
    assert log.auteur == admin23 and log.origine == "formulaire web"
    with pytest.raises(ValueError) as exc:
        services.update_place(gueret, {"horaires": "tous les jours"}, manager)
    assert exc.value.args[0][0][0] == "horaires"
    gueret.refresh_from_db()
    assert gueret.horaires == place()["horaires"]


def test_nearest_places_and_open_now(tmp_path):
    load(
        write_csv(
            tmp_path / "a.csv",
            [
                place(id="near"),
                place(
                    id="far",
                    nom="Bibliothèque d'Ajain",
                    code_insee="23001",
                    code_postal="23380",
                    commune="Ajain",
                    latitude="46.2080",
                    longitude="1.9990",
                    horaires="Sa 09:00-12:00",
                ),
                place(id="signy", nom="Mairie", code_insee="08419", code_postal="08460", commune="Signy-l'Abbaye", latitude="49.699", longitude="4.418"),
            ],
        )
    )
    tuesday_11h = dt.datetime(2026, 12, 1, 11, 0)
    found = services.nearest(46.1710, 1.8720, tuesday_11h, limit=2)
    assert [f.lieu.identifiant for f in found] == ["near", "far"]
    assert found[0].distance_km == pytest.approx(0.055, abs=0.01) and found[0].ouvert is True
    assert found[1].ouvert is False and 10 < found[1].distance_km < 11
    assert [f.lieu.identifiant for f in services.nearest(46.1710, 1.8720, tuesday_11h, ouvert_seulement=True)] == ["near", "signy"]
    assert services.nearest(46.1710, 1.8720, tuesday_11h, limit=3)[2].lieu.identifiant == "signy"


def test_places_are_ranked_by_the_needs_they_cover_then_by_distance(tmp_path):
    """Twelve « non » listed places for the alphabetically first service only (one 30.6 km
    away) and left out France Services 0.2 km away, which offers « Aide aux démarches »."""

    load(
        write_csv(
            tmp_path / "a.csv",
            [
                place(id="loin", nom="Fablab lointain", latitude="46.45", longitude="1.87", services="Accès internet et matériel informatique"),
                place(id="fs", nom="France Services", latitude="46.1720", longitude="1.8715", services="Aide aux démarches administratives"),
                place(
                    id="mediatheque",
                    nom="Médiathèque",
                    latitude="46.20",
                    longitude="1.8715",
                    services="Accès internet et matériel informatique|Aide aux démarches administratives",
                ),
                place(id="hors-sujet", nom="Club photo", latitude="46.1710", longitude="1.8715", services="Parentalité et éducation avec le numérique"),
            ],  # fmt: skip
        )
    )
    needs = ["Accès internet et matériel informatique", "Aide aux démarches administratives"]
    ranked = services.covering(46.1706, 1.8715, dt.datetime(2026, 3, 3, 11, tzinfo=dt.UTC), needs)
    assert [(f.lieu.nom, covered) for f, covered in ranked] == [
        ("Médiathèque", needs),  # both needs, 3 km
        ("France Services", ["Aide aux démarches administratives"]),  # one need, 0.2 km
        ("Fablab lointain", ["Accès internet et matériel informatique"]),  # one need, 31 km
    ]


def test_a_visitor_s_search_is_kept_until_the_registry_or_the_minute_changes(client, tmp_path, time_machine):
    """32 people searching « 23000 » computed the same answer 32 times; kept, it must still
    change as soon as a place is added or its Pass numérique label changes, or the minute."""
    from terrinum.apps.inclusion import views

    time_machine.move_to(dt.datetime(2026, 12, 7, 10, 15, 5, tzinfo=dt.UTC), tick=False)
    views.FINDER_PAGES.clear()
    load(write_csv(tmp_path / "a.csv", [place(id="gueret-mediatheque", nom="Médiathèque")]))
    first = client.get("/lieux/?q=23000").content.decode()
    assert "Médiathèque" in first and len(views.FINDER_PAGES) == 1
    assert client.get("/lieux/?q=23000").content.decode() == first and len(views.FINDER_PAGES) == 1
    load(write_csv(tmp_path / "b.csv", [place(id="gueret-espace", nom="Espace numérique de Guéret", adresse="2 rue Nouvelle")]))
    assert "Espace numérique de Guéret" in client.get("/lieux/?q=23000").content.decode()
    before = services.registry_stamp()
    Lieu.objects.filter(nom="Médiathèque").update(pass_numerique=True)  # as the qualification does
    assert services.registry_stamp() != before
    assert "Médiathèque" in client.get("/lieux/?q=23000&pass=1").content.decode()
    kept = len(views.FINDER_PAGES)
    time_machine.move_to(dt.datetime(2026, 12, 7, 10, 16, 1, tzinfo=dt.UTC), tick=False)
    client.get("/lieux/?q=23000")
    assert len(views.FINDER_PAGES) == kept + 1  # a new minute: computed again
