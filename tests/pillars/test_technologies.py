"""Technology mix and premises left behind, from per-building files written by hand in the
published layout (no real per-building sample is packaged: PROVENANCE.md)."""

import csv
import io

import pytest

from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.pillars.technologies import indicators as tc
from terrinum.sources import arcep_batiments
from terrinum.warehouse import buildings, store
from tests.sources.test_arcep_batiments import BASE_HEADER, ELIG_HEADER, building, elig, read_every_partition, write_gz


def make_mix(root, quarter="2024T4"):
    """Signy-l'Abbaye (08419), 8 buildings covering every class; Guéret (23096), 1 building."""
    write_gz(root / "base_imb_08.csv.gz", BASE_HEADER, [
        building("A", "08419", 10),  # fibre (and copper): ftth
        building("B", "08419", 4),   # copper 8-30 + fixed 4G: cu_8, below 30
        building("C", "08419", 1),   # no offer at all: no wire, below 8, no solution
        building("D", "08419", 20),  # cable 100-500: coax
        building("E", "08419", 6),   # copper 30-100: cu_30
        building("F", "08419", 2),   # copper < 3 + satellite + THD radio: cu_inf8
        building("G", "08419", 3),   # satellite only: no wire, satellite only
        building("H", "08419", 5),   # copper 3-8 + HD radio + satellite: cu_inf8
    ])  # fmt: skip
    write_gz(root / "eligibilite" / quarter / "actuel_08.csv.gz", ELIG_HEADER, [
        elig("A", "FO", "1000_inf"), elig("A", "CU", "8_30", "SFR0"),
        elig("B", "CU", "8_30"), elig("B", "4GF", "30_100", "BOUY"),
        elig("D", "COAX", "100_500", "SFR0"),
        elig("E", "CU", "30_100"),
        elig("F", "CU", "inf_3M"), elig("F", "SAT", "30_100", "SAT1"), elig("F", "THDR", "30_100", "RIP"),
        elig("G", "SAT", "8_30", "SAT1"),
        elig("H", "CU", "3_8"), elig("H", "WMX", "8_30", "RIP"), elig("H", "SAT", "30_100", "SAT1"),
    ])  # fmt: skip
    write_gz(root / "base_imb_23.csv.gz", BASE_HEADER, [building("23-1", "23096", 7)])
    write_gz(root / "eligibilite" / quarter / "actuel_23.csv.gz", ELIG_HEADER, [elig("23-1", "FO", "1000_inf")])
    return root


# Counted by hand from the fixture above (Signy-l'Abbaye).
SIGNY = {
    "locaux": 51,
    "locaux_techno_ftth": 10, "locaux_techno_coax": 20, "locaux_techno_cu_30": 6, "locaux_techno_cu_8": 4,
    "locaux_techno_cu_inf8": 2 + 5, "locaux_techno_sans_filaire": 1 + 3,
    "locaux_alt_thdr": 2, "locaux_alt_4gf": 4, "locaux_alt_wmx": 5, "locaux_alt_sat": 2 + 3 + 5,
    "locaux_filaire_inf8": 1 + 2 + 3 + 5, "locaux_filaire_inf30": 4 + 1 + 2 + 3 + 5,
    "locaux_inf8_thdr": 2, "locaux_inf8_4gf": 0, "locaux_inf8_wmx": 5, "locaux_inf8_sat": 10,
    "locaux_inf8_satellite_seul": 3, "locaux_inf8_sans_solution": 1,
    "locaux_inf30_thdr": 2, "locaux_inf30_4gf": 4, "locaux_inf30_wmx": 5, "locaux_inf30_sat": 10,
    "locaux_inf30_satellite_seul": 3, "locaux_inf30_sans_solution": 1,
}  # fmt: skip


def test_the_technology_mix_equals_a_count_by_hand(tmp_path):
    parsed = arcep_batiments.aggregate(make_mix(tmp_path))
    rows = {r["code_source"]: r for r in parsed.rows}
    assert {k: rows["08419"][k] for k in SIGNY} == SIGNY
    assert sum(rows["08419"][f"locaux_techno_{c}"] for c in arcep_batiments.WIRED_CLASSES) == rows["08419"]["locaux"]
    assert rows["23096"]["locaux_techno_ftth"] == 7 and rows["23096"]["locaux_filaire_inf30"] == 0
    # the speeds counted over every technology, satellite included: all but C reach 8 Mbit/s,
    # all but C and G (satellite 8-30) reach 30 — where by wire 11 and 15 premises do not
    assert (rows["08419"]["locaux_8mbits"], rows["08419"]["locaux_30mbits"]) == (51 - 1, 51 - 1 - 3)
    without = arcep_batiments.aggregate(tmp_path, technologies=False)
    assert [
        {k: v for k, v in r.items() if not k.startswith(("locaux_techno", "locaux_alt", "locaux_filaire", "locaux_inf"))} for r in parsed.rows
    ] == without.rows


def test_the_general_reading_gives_the_same_mix(tmp_path):
    """Through the regular expressions (a label outside the table) the mix is the same."""
    pairs, quarter = arcep_batiments.find_pairs(make_mix(tmp_path), None)
    fast = read_every_partition(pairs, quarter, known_classes=True)
    general = read_every_partition(pairs, quarter, known_classes=False)
    assert fast.rows == general.rows


def test_import_fills_the_mix_replaces_its_demonstration_rows_and_rolls_up(tmp_path, warehouse):
    store.ensure_tables(warehouse, tc.TABLES)
    warehouse.execute("INSERT INTO cf_technologies SELECT 'demo', '2024T4', '08001', '08001', '08', 5, " + ", ".join("1" for _ in tc.COUNTS) + ", TRUE")
    ingest_source(warehouse, "arcep-mci-batiments", make_mix(tmp_path / "q"))
    assert warehouse.execute("SELECT count(*) FROM cf_technologies WHERE demo").fetchone()[0] == 0
    rows = {r["code"]: r for r in tc.indicator_rows(warehouse, "commune")}
    assert {k: rows["08419"][k] for k in SIGNY} == SIGNY
    assert rows["08419"]["part_techno_ftth"] == pytest.approx(100 * 10 / 51, abs=0.01)
    assert rows["08419"]["ecart_ftth_plan"] == pytest.approx(100 * 10 / 51 - 85, abs=0.01)
    assert rows["08419"]["locaux_cohesion_2020"] is None and not rows["08419"]["zone_initiative_publique_connue"]
    france = tc.indicator_rows(warehouse, "pays")[0]
    assert france["locaux"] == 51 + 7 and france["locaux_filaire_inf8"] == 11 and not france["demo"]
    assert france["source"] == "arcep-mci-batiments"


def test_cohesion_scope_counts_premises_below_8_in_public_initiative_communes(tmp_path, warehouse):
    ingest_source(warehouse, "arcep-mci-batiments", make_mix(tmp_path / "q"))
    info = "Code commune;Nom commune;Code région;Code département;Siren EPCI;Logements;Établissements;Zones très denses;Engagements L. 33-13;Intentions privées hors engagement L. 33-13;Commune rurale;Commune de montagne;OI 2024 T4\n"
    (tmp_path / "info.csv").write_text(
        "t\nt\nt\nt\n" + info + "08419;Signy;44;08;200000000;40;11;;;;1;0;\n23096;Guéret;75;23;200000001;7;0;;FRTE;;0;0;\n", encoding="utf-8"
    )
    ingest_source(warehouse, "arcep-ftth-informations", tmp_path / "info.csv")
    rows = {r["code"]: r for r in tc.indicator_rows(warehouse, "commune")}
    assert rows["08419"]["locaux_cohesion_2020"] == 11  # public-initiative zone: its 11 premises below 8 Mbit/s
    assert rows["23096"]["locaux_cohesion_2020"] == 0  # AMII (Orange's commitment)
    assert tc.indicator_rows(warehouse, "pays")[0]["locaux_cohesion_2020"] == 11


@pytest.mark.django_db
def test_buildings_left_behind_are_kept_listed_and_exported(tmp_path, fresh_data_dir, client):
    from terrinum.pillars.ingest import ingest_path

    ingest_path("arcep-mci-batiments", make_mix(tmp_path / "q"))
    with store.reader() as con:
        vintage, found = buildings.left_behind(store.buildings_dir(con), "08419")
    assert vintage == "2024T4"
    assert sorted(b["imb_id"] for b in found) == ["B", "C", "F", "G", "H"]
    assert {b["imb_id"]: b["classe_filaire"] for b in found} == {"B": "cu_8", "C": "sans_filaire", "F": "cu_inf8", "G": "sans_filaire", "H": "cu_inf8"}
    assert sum(b["n"] for b in found) == SIGNY["locaux_filaire_inf30"]
    assert all(4.0 < b["longitude"] < 5.0 and 49.0 < b["latitude"] < 50.5 for b in found)  # EPSG:3857 read back in WGS84
    page = client.get("/territoires/commune/08419/").content.decode()
    assert "Immeubles sous 30 Mbit/s en filaire" in page and "5 immeuble(s), 15 locaux" in page and "THD radio, satellite" in page
    answer = client.get("/territoires/commune/08419/immeubles-sans-tres-haut-debit.csv")
    assert answer.status_code == 200
    lines = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 5 and {r["sous_8_mbits"] for r in lines} == {"oui", "non"}
    assert next(r for r in lines if r["identifiant_immeuble"] == "G")["solutions_sans_fil"] == "satellite"
    assert client.get("/territoires/commune/23096/immeubles-sans-tres-haut-debit.csv").status_code == 200  # none below 30: header only
    assert client.get("/territoires/commune/99999/immeubles-sans-tres-haut-debit.csv").status_code == 404


@pytest.mark.django_db
def test_the_section_the_api_and_the_cli_show_the_same_mix(tmp_path, fresh_data_dir, client):
    from typer.testing import CliRunner

    from terrinum.cli import app
    from terrinum.pillars.ingest import ingest_path

    ingest_path("arcep-mci-batiments", make_mix(tmp_path / "q"))
    api = client.get("/api/v1/technologies/commune/08419").json()
    assert api[0]["locaux_inf30_satellite_seul"] == 3 and api[0]["demo"] is False
    out = CliRunner().invoke(app, ["indicateurs", "technologies", "--niveau", "departement", "--territoire", "08", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert '"locaux_filaire_inf8": 11' in out.output
    page = client.get("/territoires/departement/08/").content.decode()
    assert "Technologies d'accès et locaux sans bon débit" in page and "badge-demo" not in page.split('id="technologies"')[1].split("</section>")[0]


@pytest.mark.django_db
def test_a_wrong_vintage_on_the_command_line_is_named(fresh_data_dir):
    from typer.testing import CliRunner

    from terrinum.cli import app

    out = CliRunner().invoke(app, ["indicateurs", "technologies", "--niveau", "pays", "--millesime", "2024T9"])
    assert out.exit_code == 1 and "millésime « 2024T9 » invalide" in out.output
