"""Opening hours in French on the pages (« Mo-Su 00:00-24:00 » was shown as written)."""

import pytest

from terrinum.apps.inclusion.horaires import in_french


@pytest.mark.parametrize(
    "osm, french",
    [
        ("Mo-Su 00:00-24:00", "Tous les jours, 24 h/24"),
        ("24/7", "Tous les jours, 24 h/24"),
        ("Tu-Fr 10:00-12:00,14:00-18:00; Sa 10:00-17:00", "Du mardi au vendredi, 10 h–12 h et 14 h–18 h ; le samedi, 10 h–17 h"),
        ("Mo-Fr 09:00-12:00", "Du lundi au vendredi, 9 h–12 h"),
        ("Sa,Su 10:00-12:30", "Le samedi et le dimanche, 10 h–12 h 30"),
        ("Mo,We,Fr 14:00-17:00", "Le lundi, le mercredi et le vendredi, 14 h–17 h"),
        ("Mo 08:30-12:00; PH off", "Le lundi, 8 h 30–12 h ; les jours fériés, fermé"),
        ("09:00-18:00", "Tous les jours, 9 h–18 h"),
    ],
)
def test_common_forms_read_in_french(osm, french):
    assert in_french(osm) == french


def test_other_forms_are_left_as_written():
    for text in ("week 1-53 Mo 10:00-12:00", "Mo-Fr sunrise-sunset", "", None):
        assert in_french(text) is None


@pytest.mark.django_db
def test_the_place_page_and_the_finder_show_them_in_french(client, tmp_path):
    from terrinum.apps.inclusion import services
    from terrinum.apps.inclusion.models import Lieu
    from terrinum.sources import lieux
    from tests.apps.inclusion.factories import place, write_csv

    services.import_parsed(lieux.parse_standard(write_csv(tmp_path / "l.csv", [place()])), "l.csv", "test")
    lieu = Lieu.objects.get()
    for html in (client.get(f"/lieux/{lieu.pk}/").content.decode(), client.get("/lieux/", {"q": "23000"}).content.decode()):
        assert "Du mardi au vendredi, 10 h–12 h et 14 h–18 h ; le samedi, 10 h–17 h" in html and "Tu-Fr" not in html
