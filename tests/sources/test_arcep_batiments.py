"""Per-building eligibility files: fixtures written by hand in the published layout."""

import gzip

import pytest

from terrinum.pillars.connectivite_fixe import indicators as cf
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.sources import arcep_batiments
from terrinum.sources.common import SourceError
from terrinum.warehouse.ingest import IngestRefused

BASE_HEADER = "imb_id;imb_x;imb_y;imb_code;imb_code_insee;imb_nbr_logloc;imb_source;imb_type;addr_code;imb_num;addr_numero;addr_rep;addr_nom_voie;addr_nom_ld;addr_code_insee;addr_nom_commune;addr_id_fantoir;addr_source"
BASE_2020_HEADER = "imb_id;imb_longitude;imb_latitude;imb_code;imb_code_insee;imb_nbr_logloc;imb_source;imb_type;addr_code;imb_num;addr_numero;addr_rep;addr_nom_voie;addr_nom_ld;addr_code_insee;addr_nom_commune;addr_id_fantoir;addr_source"
ELIG_HEADER = "imb_id;addr_code;imb_code;code_operateur;code_techno;classe_debit_montant;classe_debit_descendant;limitation;saturation"


def building(imb, insee, n, header=BASE_HEADER):
    if header is BASE_2020_HEADER:
        return f"{imb};4.39;49.70;IMB/{imb};{insee};{n};CAD;pav;A{imb};1;1;;rue de la Gare;;{insee};X;{insee}0001;BAN"
    return f"{imb};489000.5;6392000.2;IMB/{imb};{insee};{n};CAD;PA;A{imb};1;1;;rue de la Gare;;{insee};X;{insee}0001;BAN"


def elig(imb, techno, classe, op="OF"):
    return f"{imb};A{imb};IMB/{imb};{op};{techno};{classe};{classe};0;0"


def write_gz(path, header, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(header + "\n" + "\n".join(lines) + "\n")


def make_quarter(root, base_header=BASE_HEADER, extra_elig=(), quarter="2024T4"):
    """Signy-l'Abbaye (08419): 3 buildings; Guéret (23096): 2 buildings; one building with no offer."""
    write_gz(root / "base_imb_08.csv.gz", base_header, [
        building("08-1", "08419", 10, base_header),   # fibre 1 Gbit/s
        building("08-2", "08419", 4, base_header),    # copper 8-30 + fixed 4G 30-100: best 30
        building("08-3", "08419", 1, base_header),    # no offer at all: ineligible
    ])  # fmt: skip
    write_gz(root / "eligibilite" / quarter / "actuel_08.csv.gz", ELIG_HEADER, [
        elig("08-1", "FO", "1000_inf"), elig("08-1", "CU", "8_30", "SFR0"),
        elig("08-2", "CU", "8_30"), elig("08-2", "4GF", "30_100", "BOUY"),
        *extra_elig,
    ])  # fmt: skip
    write_gz(root / "base_imb_23.csv.gz", base_header, [building("23-1", "23096", 100, base_header), building("23-2", "23096", 7, base_header)])
    write_gz(root / "eligibilite" / quarter / "actuel_23.csv.gz", ELIG_HEADER, [
        elig("23-1", "FO", "sup_1G"), elig("23-1", "COAX", "100M_1G"),
        elig("23-2", "CU", "inf_3M"),
    ])  # fmt: skip
    return root


def test_aggregation_per_commune(tmp_path):
    parsed = arcep_batiments.aggregate(make_quarter(tmp_path))
    assert parsed.millesime == "2024T4" and not parsed.rejected
    rows = {r["code_source"]: r for r in parsed.rows}
    s = rows["08419"]
    assert (s["locaux"], s["locaux_8mbits"], s["locaux_30mbits"], s["locaux_100mbits"], s["locaux_1gbits"]) == (15, 14, 14, 10, 10)
    assert s["locaux_ftth_raccordables"] == 10
    g = rows["23096"]
    assert (g["locaux"], g["locaux_8mbits"], g["locaux_1gbits"], g["locaux_ftth_raccordables"]) == (107, 100, 100, 100)


def test_2020_layout_gives_the_same_result(tmp_path):
    a = arcep_batiments.aggregate(make_quarter(tmp_path / "a"))
    b = arcep_batiments.aggregate(make_quarter(tmp_path / "b", base_header=BASE_2020_HEADER))
    assert a.rows == b.rows


@pytest.mark.parametrize(
    "label,expected", [("8_30", 8), ("30M_100M", 30), ("sup_1G", 1000), ("inf_3M", 0), ("1000_inf", 1000), ("0,5_3", 0.5), ("512k_3M", 0.512), ("rapide", None)]
)
def test_class_labels(label, expected):
    import polars as pl

    value = pl.select(arcep_batiments._mbits(pl.lit(label))).item()
    assert value is None if expected is None else value == pytest.approx(expected)


def test_unknown_class_and_technology_are_reported(tmp_path):
    parsed = arcep_batiments.aggregate(make_quarter(tmp_path, extra_elig=[elig("08-3", "XYZ", "8_30"), elig("08-3", "CU", "rapide")]))
    fields = {p.field for p in parsed.rejected}
    assert fields == {"code_techno", "classe_debit_descendant"}
    assert all(p.file == "actuel_08.csv.gz" for p in parsed.rejected)


def test_missing_files_and_columns(tmp_path):
    with pytest.raises(SourceError, match="base_imb"):
        arcep_batiments.aggregate(tmp_path)
    root = make_quarter(tmp_path / "q")
    (root / "eligibilite" / "2024T4" / "actuel_23.csv.gz").unlink()
    with pytest.raises(SourceError, match="éligibilité absent"):
        arcep_batiments.aggregate(root)
    root = make_quarter(tmp_path / "r")
    write_gz(root / "base_imb_23.csv.gz", "imb_id;imb_code_insee", ["x;23096"])
    with pytest.raises(SourceError, match="imb_nbr_logloc"):
        arcep_batiments.aggregate(root)
    root = make_quarter(tmp_path / "s")
    make_quarter(root, quarter="2025T1")
    with pytest.raises(SourceError, match="précisez --millesime"):
        arcep_batiments.aggregate(root)
    assert arcep_batiments.aggregate(root, millesime="2025T1").millesime == "2025T1"


def test_ingest_loads_speeds_and_fibre_in_one_transaction(tmp_path, warehouse):
    root = make_quarter(tmp_path / "q")
    report = ingest_source(warehouse, "arcep-mci-batiments", root)
    assert report.chargees == 2 and report.millesimes == ["2024T4"]
    rows = {r["code"]: r for r in cf.indicator_rows(warehouse, "commune", millesime="2024T4")}
    assert rows["08419"]["part_ftth"] == pytest.approx(100 * 10 / 15, abs=0.01)
    assert rows["23096"]["locaux_manquants_8mbits"] == 7
    assert ingest_source(warehouse, "arcep-mci-batiments", root).deja_importe


def read_every_partition(pairs, quarter, known_classes):
    """Every partition read one way, combined (None when one of them cannot be read so)."""
    partials = [arcep_batiments._aggregate(p, quarter, known_classes=known_classes) for p in pairs]
    return None if None in partials else arcep_batiments.combine(partials, quarter)


def test_known_classes_table_reads_like_the_label_shapes(tmp_path):
    """The fast path (ordered table of the published classes) and the general one agree; a
    label outside the table (sup_1G, 100M_1G in the fixture) makes aggregate take the general one."""
    root = make_quarter(tmp_path)
    write_gz(
        root / "eligibilite" / "2024T4" / "actuel_23.csv.gz",
        ELIG_HEADER,
        [elig("23-1", "FO", "1000_inf"), elig("23-1", "COAX", "100_500"), elig("23-2", "CU", "inf_3M")],
    )
    pairs, quarter = arcep_batiments.find_pairs(root, None)
    fast = read_every_partition(pairs, quarter, known_classes=True)
    general = read_every_partition(pairs, quarter, known_classes=False)
    assert fast is not None and fast.rows == general.rows and fast.rows == arcep_batiments.aggregate(root).rows
    g = {r["code_source"]: r for r in fast.rows}["23096"]
    assert (g["locaux_8mbits"], g["locaux_100mbits"], g["locaux_1gbits"]) == (100, 100, 100)
    write_gz(root / "eligibilite" / "2024T4" / "actuel_23.csv.gz", ELIG_HEADER, [elig("23-1", "FO", "sup_1G"), elig("23-2", "CU", "inf_3M")])
    assert read_every_partition(pairs, quarter, known_classes=True) is None
    assert {r["code_source"]: r for r in arcep_batiments.aggregate(root).rows}["23096"]["locaux_1gbits"] == 100
    # a technology code in lower case is not in the table either: same result, through the general path
    write_gz(root / "eligibilite" / "2024T4" / "actuel_23.csv.gz", ELIG_HEADER, [elig("23-1", "fo", "1000_inf"), elig("23-2", "CU", "inf_3M")])
    assert read_every_partition(pairs, quarter, known_classes=True) is None
    assert {r["code_source"]: r for r in arcep_batiments.aggregate(root).rows}["23096"]["locaux_ftth_raccordables"] == 100


def test_a_building_listed_twice_is_refused_not_counted_twice(tmp_path, warehouse):
    """An identical line repeated in base_imb added its premises again (+10 in Signy)."""
    root = make_quarter(tmp_path / "q")
    write_gz(root / "base_imb_08.csv.gz", BASE_HEADER, [building("08-1", "08419", 10), building("08-1", "08419", 10), building("08-2", "08419", 4)])
    parsed = arcep_batiments.aggregate(root)
    assert [(p.file, p.field, p.reason) for p in parsed.rejected] == [("base_imb_08.csv.gz", "imb_id", "immeuble 08-1 listé 2 fois")]
    with pytest.raises(IngestRefused):
        ingest_source(warehouse, "arcep-mci-batiments", root)
    assert warehouse.execute("SELECT count(*) FROM provenance WHERE source = 'arcep-mci-batiments'").fetchone()[0] == 0


def test_latin1_and_truncated_gzip_files_never_give_a_traceback(tmp_path):
    """A base file saved in latin-1 is read (only ASCII columns are used); a truncated
    eligibility file is refused, named (it gave OSError from inside the Polars query)."""
    root = make_quarter(tmp_path / "latin1")
    base = root / "base_imb_08.csv.gz"
    base.write_bytes(gzip.compress(gzip.decompress(base.read_bytes()).decode().replace("08-2", "08-é").encode("latin-1")))
    assert arcep_batiments.aggregate(root).read == 5
    root = make_quarter(tmp_path / "tronque")
    elig = root / "eligibilite" / "2024T4" / "actuel_08.csv.gz"
    elig.write_bytes(elig.read_bytes()[:-10])
    with pytest.raises(SourceError, match="actuel_08.csv.gz : fichier compressé .gzip. tronqué"):
        arcep_batiments.aggregate(root)


@pytest.mark.parametrize("which", ["base_imb_08.csv.gz", "eligibilite/2024T4/actuel_08.csv.gz"])
def test_a_corrupt_gzip_stream_is_refused_named(tmp_path, which):
    """A gzip file whose compressed bytes are altered past its header raised zlib.error, a
    traceback, from the header, the synthetic-file check or the query."""
    root = make_quarter(tmp_path)
    path = root / which
    packed = bytearray(path.read_bytes())
    for i in range(12, len(packed) - 8):  # the deflate stream, header and trailer left intact
        packed[i] ^= 0x5A
    path.write_bytes(bytes(packed))
    with pytest.raises(SourceError, match=f"{path.name} : fichier compressé .gzip. (illisible|tronqué)"):
        arcep_batiments.aggregate(root)


def test_files_without_coordinates_keep_no_positions_but_a_manifest(tmp_path, warehouse):
    """A release without coordinates: commune sums loaded, no building file, the quarter's
    manifest still says what was read; importing it again changes nothing."""
    from terrinum.warehouse import buildings, store

    header = BASE_HEADER.replace("imb_x;imb_y;", "")
    root = tmp_path / "q"
    write_gz(root / "base_imb_08.csv.gz", header, [";".join(building("08-1", "08419", 10).split(";")[:1] + building("08-1", "08419", 10).split(";")[3:])])
    write_gz(root / "eligibilite" / "2024T4" / "actuel_08.csv.gz", ELIG_HEADER, [elig("08-1", "FO", "1000_inf")])
    report = ingest_source(warehouse, "arcep-mci-batiments", root)
    assert report.chargees == 1 and not any("position" in n for n in report.notes)
    folder = store.buildings_dir(warehouse, "2024T4")
    assert not list(folder.glob("*.parquet"))
    assert buildings.read_manifest(folder)["partitions"]["08"]["positions"] == 0
    again = ingest_source(warehouse, "arcep-mci-batiments", root)
    assert again.deja_importe and not any("position" in n for n in again.notes)
