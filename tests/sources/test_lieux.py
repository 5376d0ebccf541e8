import pytest

from terrinum.sources import lieux
from terrinum.sources.common import SourceError
from tests.apps.inclusion.factories import place, write_csv, write_json

STANDARDS = lieux.Path(__file__).resolve().parents[3] / "shared" / "data" / "standards"


def test_enumerations_are_read_from_the_schema_patterns():
    enums = lieux.enumerations()
    assert len(enums["services"]) == 9
    assert "Langues étrangères (anglais)" in enums["prise_en_charge_specifique"]
    assert "Point d'accès numérique CAF" in enums["dispositif_programmes_nationaux"]
    assert enums["itinerance"] == ["Itinérant", "Fixe"]


def test_vendored_schema_is_the_shared_standard():
    shared = STANDARDS / "lieux-mediation-numerique.schema.json"
    if not shared.exists():
        pytest.skip("../shared/data/standards absent")
    assert lieux.json.loads(shared.read_text("utf-8")) == lieux.schema()


def test_official_valid_example_is_accepted():
    example = STANDARDS / "lieux-mediation-numerique.exemple-valide.csv"
    if not example.exists():
        pytest.skip("../shared/data/standards absent")
    parsed = lieux.parse_standard(example)
    assert parsed.rejected == [] and len(parsed.rows) == 1
    row = parsed.rows[0]
    assert row["latitude"] == 43.52609 and row["date_maj"].isoformat() == "2024-04-02"
    assert row["services"].split("|")[0] == "Maîtrise des outils numériques du quotidien"


def test_bad_rows_are_reported_with_line_field_and_reason(tmp_path):
    rows = [
        place(id="ok"),
        place(id="enum", services="Aide aux démarches administratives|Cours de cuisine"),
        place(id="hours", horaires="Lu-Ve 9h-12h"),
        place(id="outside", latitude="40.0", longitude="-74.0"),
        place(id="ok"),
        place(id="cp", code_postal="2300"),
        place(id="half", longitude=""),
        place(id="date", date_maj="01/03/2024"),
    ]
    parsed = lieux.parse_standard(write_csv(tmp_path / "l.csv", rows))
    assert [r["id"] for r in parsed.rows] == ["ok"]
    by_line = {p.line: p for p in parsed.rejected}
    assert by_line[3].field == "services" and "« Cours de cuisine »" in by_line[3].reason
    assert by_line[4].field == "horaires" and "opening_hours" in by_line[4].reason
    assert by_line[5].field == "latitude" and "hors de France" in by_line[5].reason
    assert by_line[6].field == "id" and "déjà utilisé ligne 2" in by_line[6].reason
    assert by_line[7].field == "code_postal"
    assert by_line[8].field == "longitude"
    assert by_line[9].field == "date_maj"
    assert str(by_line[3]).startswith("l.csv, ligne 3, champ « services »")


def test_missing_required_column_refuses_the_file(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("id,nom\n1,x\n", encoding="utf-8")
    with pytest.raises(SourceError, match="pivot"):
        lieux.parse_standard(path)


def test_json_and_semicolon_csv_are_read(tmp_path):
    rows = [place(id="a"), place(id="b", nom="Autre")]
    assert len(lieux.parse_standard(write_json(tmp_path / "l.json", rows)).rows) == 2
    assert len(lieux.parse_standard(write_csv(tmp_path / "l.csv", rows, delimiter=";")).rows) == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"nom": 1}', encoding="utf-8")
    with pytest.raises(SourceError, match="tableau"):
        lieux.parse_standard(bad)
    for text, reason in [("", "une valeur est attendue"), ('[{"nom": "a",}]', "nom de champ entre guillemets"), ('[{"nom": "a"}] x', "contenu en trop")]:
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(SourceError) as caught:
            lieux.parse_standard(bad)
        message = str(caught.value)
        assert "JSON illisible, colonne" in message and reason in message and "Expecting" not in message, message


@pytest.mark.realdata
def test_real_libraries_file_maps_to_the_standard(real_data):
    parsed = lieux.parse_libraries(real_data / "lieux" / "bibliotheques_publiques.csv")
    assert parsed.read == 15779
    assert len(parsed.rows) + len({p.line for p in parsed.rejected}) == parsed.read
    # Libraries without any street address cannot be in the standard (adresse is required).
    assert {p.field for p in parsed.rejected} <= {"voie", "Ville", "CP", "coordonnees_finales"}
    first = parsed.rows[0]
    assert first["id"] == "bibliotheque-8724" and first["code_insee"] == "60093"
    assert (first["latitude"], first["longitude"]) == (49.609493, 2.705751)
    assert first["pivot"] == lieux.UNKNOWN_PIVOT and first["typologie"] == "BIB"
