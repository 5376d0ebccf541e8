"""Coverage polygons: a fixture whose covered areas are known exactly."""

import numpy as np
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer

from terrinum.pillars.connectivite_mobile import indicators as cm
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.sources.common import SourceError
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import ingest

TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def commune_l93(con, code):
    wkb = con.execute("SELECT geometrie FROM ref_commune_geom WHERE code = ?", [code]).fetchone()[0]
    return shapely.transform(shapely.from_wkb(wkb), lambda xy: np.column_stack(TO_L93.transform(xy[:, 0], xy[:, 1])))


def write_gpkg(path, geoms, levels, operator="OF", dept="23", crs="EPSG:2154"):
    n = len(geoms)
    pyogrio.raw.write(
        path,
        geometry=shapely.to_wkb(np.array(geoms, dtype=object)),
        field_data=[
            np.array([operator] * n, dtype=object),
            np.array(["4G"] * n, dtype=object),
            np.array(levels, dtype=object),
            np.array([dept] * n, dtype=object),
        ],
        fields=["operateur", "techno", "niveau", "dept"],
        geometry_type="MultiPolygon",
        crs=crs,
        driver="GPKG",
        promote_to_multi=True,
    )
    return path


def test_known_areas(tmp_path, warehouse):
    gueret = commune_l93(warehouse, "23096")
    ahun = commune_l93(warehouse, "23001")
    c = shapely.point_on_surface(ahun)
    square = shapely.box(c.x - 500, c.y - 500, c.x + 500, c.y + 500)  # 1 km², inside Ahun
    assert shapely.contains(ahun, square)
    half = shapely.intersection(gueret, shapely.box(*gueret.bounds[:2], (gueret.bounds[0] + gueret.bounds[2]) / 2, gueret.bounds[3]))
    # Guéret: entirely covered at BC, and its western part also at TBC (best level wins);
    # Ahun: 1 km² limited coverage; every other commune of the Creuse: nothing.
    path = write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_data.gpkg", [gueret, half, square], ["BC", "TBC", "CL"])
    report = ingest_source(warehouse, "arcep-mobile-couverture", path)
    assert report.millesimes == ["2024T1"]
    rows = {code: r for code, *r in warehouse.execute(
        "SELECT code_commune, part_surface_tbc, part_surface_bc, part_surface_cl, part_surface_nc, part_pop_bc FROM cm_couverture"
    ).fetchall()}  # fmt: skip
    assert len(rows) == warehouse.execute("SELECT count(*) FROM ref_commune WHERE departement_code = '23'").fetchone()[0]
    tbc_share = 100 * shapely.area(half) / shapely.area(gueret)
    assert rows["23096"][0] == pytest.approx(tbc_share, abs=1e-4)
    assert rows["23096"][1] == pytest.approx(100 - tbc_share, abs=1e-4)
    assert rows["23096"][3] == pytest.approx(0, abs=1e-4)
    assert rows["23001"][2] == pytest.approx(100 * 1e6 / shapely.area(ahun), abs=1e-6)
    assert rows["23001"][3] == pytest.approx(100 - 100 * 1e6 / shapely.area(ahun), abs=1e-6)
    assert rows["23045"][3] == 100.0  # an uncovered commune of the département
    orange = {r["code"]: r for r in cm.indicator_rows(warehouse, "commune", within=TerritorySet.of("commune", "23096"), operateur="OF")}
    assert orange["23096"]["part_pop_4g_bonne"] == pytest.approx(100, abs=1e-3)


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_file_without_crs_is_refused_unless_given(tmp_path, warehouse):
    gueret = commune_l93(warehouse, "23096")
    path = write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_data.gpkg", [gueret], ["TBC"], crs=None)
    with pytest.raises(SourceError, match="--crs"):
        ingest_source(warehouse, "arcep-mobile-couverture", path)
    report = ingest_source(warehouse, "arcep-mobile-couverture", path, crs="EPSG:2154")
    assert report.chargees > 0


def test_wrong_crs_and_bad_levels(tmp_path, warehouse):
    gueret = commune_l93(warehouse, "23096")
    degrees = shapely.transform(gueret, lambda xy: xy / 1e5)  # coordinates that cannot be Lambert-93 in the Creuse
    with pytest.raises(SourceError, match="aucun polygone"):
        ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_a.gpkg", [degrees], ["TBC"]))
    with pytest.raises(SourceError, match="métrique"):
        ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_b.gpkg", [gueret], ["TBC"], crs="EPSG:4326"))
    with pytest.raises(ingest.IngestRefused, match="TRES BONNE"):
        ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_c.gpkg", [gueret], ["TRES BONNE"]))
    with pytest.raises(SourceError, match="opérateur"):
        ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_XX_4G_d.gpkg", [gueret], ["TBC"], operator="XX"))
    with pytest.raises(SourceError, match="aucun polygone dans le fichier"):
        ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_f.gpkg", [], []))
    assert warehouse.execute("SELECT count(*) FROM cm_couverture").fetchone()[0] == 0


def test_invalid_geometry_is_repaired_and_counted(tmp_path, warehouse):
    gueret = commune_l93(warehouse, "23096")
    x0, y0, x1, y1 = gueret.bounds
    bowtie = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])  # self-intersecting
    report = ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_e.gpkg", [bowtie], ["BC"]))
    assert any("réparée" in n for n in report.notes)


def test_not_a_geopackage(tmp_path, warehouse):
    path = tmp_path / "2024_T1_couv_Metropole_OF_4G_data.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="GeoPackage"):
        ingest_source(warehouse, "arcep-mobile-couverture", path)


def test_operators_combined_exactly(tmp_path, warehouse):
    """Orange covers the west half of Guéret, SFR the south half: at least one = 3/4 of the
    area, both = 1/4 (the south-west quarter), none = the north-east quarter."""
    gueret = commune_l93(warehouse, "23096")
    x0, y0, x1, y1 = gueret.bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    west = shapely.intersection(gueret, shapely.box(x0, y0, xm, y1))
    south = shapely.intersection(gueret, shapely.box(x0, y0, x1, ym))
    ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_data.gpkg", [west], ["BC"]))
    ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_SFR0_4G_data.gpkg", [south], ["TBC"], operator="SFR0"))
    area = shapely.area(gueret)
    one = 100 * shapely.area(shapely.union(west, south)) / area
    both = 100 * shapely.area(shapely.intersection(west, south)) / area
    row = next(r for r in cm.indicator_rows(warehouse, "commune", within=TerritorySet.of("commune", "23096")))
    assert row["part_pop_4g_bonne_au_moins_un"] == pytest.approx(one, abs=0.01)
    assert row["part_pop_4g_bonne_tous"] == pytest.approx(both, abs=0.01)
    population = warehouse.execute("SELECT population FROM ref_commune WHERE code = '23096'").fetchone()[0]
    assert row["pop_zone_blanche_4g"] == pytest.approx(population * (100 - one) / 100, abs=1)
    assert row["operateurs_combines"] == "OF,SFR0"
    # the per-operator bounds bracket the exact values
    assert row["part_pop_4g_bonne_au_moins_un_min"] <= row["part_pop_4g_bonne_au_moins_un"] + 1e-6
    assert row["part_pop_4g_bonne_tous"] <= row["part_pop_4g_bonne_tous_max"] + 1e-6


def test_population_follows_the_buildings_when_known(tmp_path, warehouse):
    """Guéret: coverage over its west half only; 100 premises in the west, 10 in the east:
    population share covered = 100/110 although the area share is about one half."""
    from tests.sources.test_arcep_batiments import BASE_HEADER, ELIG_HEADER, elig, write_gz

    gueret = commune_l93(warehouse, "23096")
    x0, y0, x1, y1 = gueret.bounds
    west = shapely.intersection(gueret, shapely.box(x0, y0, (x0 + x1) / 2, y1))
    east = shapely.difference(gueret, west)
    to_3857 = Transformer.from_crs("EPSG:2154", "EPSG:3857", always_xy=True)
    (wx, wy), (ex, ey) = (to_3857.transform(p.x, p.y) for p in (shapely.point_on_surface(west), shapely.point_on_surface(east)))
    root = tmp_path / "imb"
    line = "{id};{x};{y};IMB/{id};23096;{n};CAD;IM;A{id};1;1;;rue;;23096;Guéret;230960001;BAN"
    write_gz(root / "base_imb_23.csv.gz", BASE_HEADER, [line.format(id="w", x=wx, y=wy, n=100), line.format(id="e", x=ex, y=ey, n=10)])
    write_gz(root / "eligibilite" / "2024T4" / "actuel_23.csv.gz", ELIG_HEADER, [elig("w", "FO", "1000_inf"), elig("e", "CU", "3_8")])
    report = ingest_source(warehouse, "arcep-mci-batiments", root)
    assert any("position(s) d'immeubles" in n for n in report.notes)
    report = ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_data.gpkg", [west], ["BC"]))
    assert any("selon les locaux des immeubles dans 1 commune" in n for n in report.notes)
    pop_bc, surface_bc = warehouse.execute("SELECT part_pop_bc, part_surface_bc FROM cm_couverture WHERE code_commune = '23096'").fetchone()
    assert pop_bc == pytest.approx(100 * 100 / 110, abs=1e-4)
    assert surface_bc == pytest.approx(100 * shapely.area(west) / shapely.area(gueret), abs=1e-4)


def test_zones_with_and_without_overlap():
    from concurrent.futures import ThreadPoolExecutor

    from terrinum.sources.arcep_couverture import _shared_area, _unions

    # overlapping: the overlap counts once, at its best level
    areas, zones = _unions([[shapely.box(0, 0, 2, 1)], [shapely.box(1, 0, 3, 1)], []])
    assert areas == pytest.approx([2, 3, 3]) and shapely.area(zones[1]) == pytest.approx(3)
    # shared area per commune: pieces of commune 0 overlap by 0.5, those of commune 1 touch
    pieces = np.array(
        [shapely.box(0, 0, 2, 1), shapely.box(1.5, 0, 3, 1), shapely.box(0, 5, 1, 6), shapely.box(1, 5, 2, 6), shapely.box(1.5, 0, 3, 1)], dtype=object
    )
    owner = np.array([0, 0, 1, 1, 2])
    with ThreadPoolExecutor(2) as pool:
        assert _shared_area(pool, pieces, owner, 3).tolist() == pytest.approx([0.5, 0, 0])


def test_overlapping_polygons_count_once(tmp_path, warehouse):
    """Two overlapping TBC squares and a BC square over both, all inside Ahun: each point
    counts once, at its best level."""
    ahun = commune_l93(warehouse, "23001")
    c = shapely.point_on_surface(ahun)
    a = shapely.box(c.x - 300, c.y - 300, c.x + 100, c.y + 100)
    b = shapely.box(c.x - 100, c.y - 100, c.x + 300, c.y + 300)
    big = shapely.box(c.x - 400, c.y - 400, c.x + 400, c.y + 400)
    assert shapely.contains(ahun, big)
    ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_data.gpkg", [a, b, big], ["TBC", "TBC", "BC"]))
    tbc, bc = warehouse.execute("SELECT part_surface_tbc, part_surface_bc FROM cm_couverture WHERE code_commune = '23001'").fetchone()
    area = shapely.area(ahun)
    assert tbc == pytest.approx(100 * (2 * 400**2 - 200**2) / area, abs=1e-6)
    assert bc == pytest.approx(100 * (800**2 - (2 * 400**2 - 200**2)) / area, abs=1e-6)


def test_operators_combined_exactly_when_a_zone_has_several_levels(tmp_path, warehouse):
    """Orange's west half of Guéret in two pieces (TBC north-west, BC south-west), SFR the
    south half: the same exact combination as with one piece."""
    gueret = commune_l93(warehouse, "23096")
    x0, y0, x1, y1 = gueret.bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    north_west = shapely.intersection(gueret, shapely.box(x0, ym, xm, y1))
    south_west = shapely.intersection(gueret, shapely.box(x0, y0, xm, ym))
    south = shapely.intersection(gueret, shapely.box(x0, y0, x1, ym))
    ingest_source(
        warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_data.gpkg", [north_west, south_west], ["TBC", "BC"])
    )
    ingest_source(warehouse, "arcep-mobile-couverture", write_gpkg(tmp_path / "2024_T1_couv_Metropole_SFR0_4G_data.gpkg", [south], ["TBC"], operator="SFR0"))
    west = shapely.union(north_west, south_west)
    area = shapely.area(gueret)
    row = next(r for r in cm.indicator_rows(warehouse, "commune", within=TerritorySet.of("commune", "23096")))
    assert row["part_pop_4g_bonne_au_moins_un"] == pytest.approx(100 * shapely.area(shapely.union(west, south)) / area, abs=0.01)
    assert row["part_pop_4g_bonne_tous"] == pytest.approx(100 * shapely.area(south_west) / area, abs=0.01)
