"""Mon réseau mobile: sites located by point-in-polygon, per-commune coverage statistics."""

import pytest

from terrinum.pillars.connectivite_mobile import indicators as cm
from terrinum.pillars.ingest import ingest as ingest_source
from terrinum.sources import arcep_mobile
from terrinum.sources.common import SourceError
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import ingest

STATS = """"techno";"mcc_mnc";"commune";"couv_nc";"couv_cl";"couv_bc";"couv_tbc";"pop_nc";"pop_cl";"pop_bc";"pop_tbc"
"4G";"20801";"08419";"10";"20";"30";"40";"2";"8";"30";"60"
"4G";"20810";"08419";"30";"20";"30";"20";"10";"10";"40";"40"
"4G";"20801";"23096";"0";"0";"10";"90";"0";"0";"5";"95"
"3G";"20801";"23096";"0";"0";"10";"90";"0";"0";"5";"95"
"""


def write(tmp_path, text, name):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_real_reunion_sites_are_placed_in_their_communes(warehouse, real_data):
    # one row repeats another (lines 398 and 399): rejected, and accepted as such
    report = ingest_source(warehouse, "arcep-mobile-sites", real_data / "mobile" / "sites_mobiles_2020T2_REU.csv", accept_rejects=True)
    assert report.lues == 1029 and report.chargees == 1028 and report.millesimes == ["2020T2"]
    placed = dict(
        ((round(lon, 4), round(lat, 4)), code) for lon, lat, code in warehouse.execute("SELECT longitude, latitude, code_commune FROM cm_sites").fetchall()
    )
    # checked by hand on a map: Saint-Denis city centre, Saint-Gilles (Saint-Paul), Saint-Pierre, Saint-Benoît
    assert placed[(55.4509, -20.8784)] == "97411"
    assert placed[(55.2211, -21.0429)] == "97415"
    assert placed[(55.4762, -21.3391)] == "97416"
    assert placed[(55.7209, -21.0462)] == "97410"
    rows = {r["code"]: r for r in cm.indicator_rows(warehouse, "commune", within=TerritorySet.of("departement", "974"))}
    assert sum(r["nb_sites"] for r in rows.values()) == 1028
    dep = cm.indicator_rows(warehouse, "departement", within=TerritorySet.of("departement", "974"))[0]
    assert dep["nb_sites"] == 1028 and dep["demo"] is False


def test_other_territories_do_not_replace_each_other(warehouse, real_data):
    for t in ("REU", "MAY"):
        ingest_source(warehouse, "arcep-mobile-sites", real_data / "mobile" / f"sites_mobiles_2020T2_{t}.csv", accept_rejects=True)
    counts = dict(warehouse.execute("SELECT code_departement, count(*) FROM cm_sites GROUP BY 1").fetchall())
    assert counts == {"974": 1028, "976": 149}


def test_site_at_sea_is_rejected_with_line(tmp_path, warehouse):
    path = write(tmp_path, "Operateur;X;Y;C2G;C3G;C4G\n64710;55.45;-20.88;1;1;1\n64710;57.0;-22.0;1;1;1\n", "sites_2020T2_REU.csv")
    with pytest.raises(ingest.IngestRefused) as exc:
        ingest_source(warehouse, "arcep-mobile-sites", path)
    assert "ligne 3" in str(exc.value) and "aucune commune" in str(exc.value)


def test_sites_bad_input(tmp_path):
    parsed = arcep_mobile.parse_sites(
        write(tmp_path, "Operateur;X;Y;C2G;C3G;C4G\n99999;55.4;-20.8;1;1;1\n64710;abc;-20.8;1;1;1\n64710;55.4;-20.8;2;1;1\n", "s_2020T2.csv")
    )
    assert [(p.line, p.field) for p in parsed.rejected] == [(2, "operateur"), (3, "X/Y"), (4, "c2g")]
    with pytest.raises(SourceError, match="millésime"):
        arcep_mobile.parse_sites(write(tmp_path, "Operateur;X;Y;C2G;C3G;C4G\n", "sites.csv"))


def test_metropolitan_layout_carries_the_commune(tmp_path):
    text = "nom_op;nom_com;insee_dep;insee_com;site_2g;site_3g;site_4g\nOrange;Guéret;23;23096;1;1;1\nBouygues Telecom;Guéret;23;23096;0;0;1\n"
    parsed = arcep_mobile.parse_sites(write(tmp_path, text, "2024_T1_sites_Metropole.csv"))
    assert parsed.millesime == "2024T1"
    assert [(r["operateur"], r["code_source"], r["site_4g"]) for r in parsed.rows] == [("OF", "23096", 1), ("BOUY", "23096", 1)]


def test_commune_statistics_and_bounds(tmp_path, warehouse):
    path = write(tmp_path, STATS, "2024T4_op_communes.csv")
    ingest_source(warehouse, "arcep-mobile-communes", path)
    rows = {r["code"]: r for r in cm.indicator_rows(warehouse, "commune")}
    signy = rows["08419"]
    assert signy["part_pop_4g_bonne_au_moins_un_min"] == 90.0  # Orange 30 + 60
    assert signy["part_pop_4g_bonne_tous_max"] == 80.0  # SFR 40 + 40
    orange = {r["code"]: r for r in cm.indicator_rows(warehouse, "commune", operateur="OF")}
    assert orange["08419"]["part_pop_4g_bonne"] == 90.0 and orange["08419"]["part_surface_4g_bonne"] == 70.0


def test_commune_statistics_bad_input(tmp_path):
    bad = STATS.replace('"10";"20";"30";"40";"2"', '"10";"20";"30";"140";"2"').replace('"20810"', '"99999"')
    bad += '"4G";"20801";"23096";"0";"0";"10";"90";"0";"0";"5";"95"\n'
    bad += '"4G";"20820";"08419";"10";"20";"30";"30";"2";"8";"30";"60"\n'
    parsed = arcep_mobile.parse_communes(write(tmp_path, bad, "2024T4_op_communes.csv"))
    reasons = {(p.line, p.field): p.reason for p in parsed.rejected}
    assert "hors de 0–100" in reasons[(2, "couv_tbc")]
    assert "inconnu" in reasons[(3, "mcc_mnc")]
    assert "déjà présent" in reasons[(6, "commune")]
    assert "et non 100 %" in reasons[(7, "couv_*")]


NEW_DEAL = """num_arrete;date_publication_arrete;code_insee;nom_site;origine_zone;20801;20810;20815;20820
2018-01;05/07/2018;08419;Signy Nord;ZBCB;1;0;0;0
2018-01;05/07/2018;08419;Signy Sud;ZBCB;2019-11-02;2020-01-15;0;0
2023-07;2023-12-20;23096;Guéret Est;DCC;1;1;1;1
2018-01;05/07/2018;08419;Signy Est;ZBCB;2021-03-01;0;0;0
"""


def test_new_deal_deadlines_and_status(tmp_path, warehouse):
    import datetime as dt

    parsed = arcep_mobile.parse_new_deal(write(tmp_path, NEW_DEAL, "2024_T4_dcc_Metropole_sites.csv"))
    assert [r["echeance"] for r in parsed.rows] == [dt.date(2020, 7, 5), dt.date(2020, 7, 5), dt.date(2025, 12, 20), dt.date(2020, 7, 5)]
    assert [r["en_service"] for r in parsed.rows] == [False, True, False, True]
    assert parsed.rows[1]["date_mise_en_service"] == dt.date(2020, 1, 15)
    ingest_source(warehouse, "arcep-newdeal-sites", tmp_path / "2024_T4_dcc_Metropole_sites.csv")
    rows = {r["code"]: r for r in cm.indicator_rows(warehouse, "commune", today=dt.date(2025, 1, 1))}
    assert (rows["08419"]["nd_sites_decides"], rows["08419"]["nd_sites_en_service"], rows["08419"]["nd_sites_en_retard"]) == (3, 2, 1)
    assert rows["08419"]["nd_sites_en_service_en_retard"] == 1  # put in service after its deadline: still late, not forgotten
    assert rows["23096"]["nd_sites_en_retard"] == 0
    later = {r["code"]: r for r in cm.indicator_rows(warehouse, "commune", today=dt.date(2026, 1, 1))}
    assert later["23096"]["nd_sites_en_retard"] == 1
    sites = cm.new_deal_sites(warehouse, TerritorySet.of("departement", "08"), today=dt.date(2025, 1, 1))
    assert sorted(s["statut"] for s in sites) == ["en retard de 1641 jours", "en service", "en service avec 239 jours de retard"]


def test_new_deal_bad_input(tmp_path):
    bad = NEW_DEAL + "2024-01;31/02/2024x;23096;X;DCC;1;0;0;0\n2024-01;2024-01-01;23096;X;DCC;0;0;0;0\n2024-01;2024-01-01;23096;X;DCC;bientôt;0;0;0\n"
    parsed = arcep_mobile.parse_new_deal(write(tmp_path, bad, "dcc.csv"))
    assert [(p.line, p.field) for p in parsed.rejected] == [(6, "date_publication_arrete"), (7, "20801/20810/20815/20820"), (8, "20801")]


@pytest.mark.parametrize(
    "header, missing",
    [("Operateur;X;Y;C2G;C3G", "C4G"), ("Operateur;Y;C2G;C3G;C4G", "X"), ("nom_op;insee_com;site_2g;site_4g", "site_3g")],
)
def test_a_site_file_missing_a_column_names_it_in_its_own_layout(tmp_path, header, missing):
    path = write(tmp_path, header + "\n20801;55.45;-20.87;1;1\n", "sites_mobiles_2020T2_REU.csv")
    with pytest.raises(SourceError) as caught:
        arcep_mobile.parse_sites(path)
    message = str(caught.value)
    assert f"manquante(s) {missing}" in message, message
    assert ("insee_com" not in message) if header.startswith("Operateur") else ("C4G" not in message), message
