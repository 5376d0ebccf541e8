"""INSEE inputs of the fragility index: layouts, duplicates, bad input."""

import pytest

from terrinum.sources import insee
from terrinum.sources.common import SourceError

RATES = """,CODE_INSEE,LIBCOM,DEP,TX_NSCOL15P,TX_MENSEUL,TX_FAMMONO,TX_65ETPLUS,TX_25ETMOINS,TX_DEMANDEURS_EMPLOI
0,23096,Guéret,23,52.1,51.1,9.0,27.4,14.0,
1,23096,Guéret,23,,,,,,
2,08419,Signy-l'Abbaye,08,62.6,40.8,7.6,30.7,11.9,
"""


def write(tmp_path, text, name="indicateurs.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_rates_file_with_an_empty_duplicate(tmp_path):
    parsed = insee.parse(write(tmp_path, RATES), millesime="2016")
    assert [r["code_source"] for r in parsed.rows] == ["23096", "08419"]
    assert parsed.rows[0]["tx_menseul"] == 51.1 and "tx_demandeurs_emploi" not in parsed.rows[0]
    assert any("sur une seconde ligne sans aucune valeur : la ligne qui porte les valeurs est gardée" in n for n in parsed.notes)
    assert set(parsed.columns) == {"tx_nscol15p", "tx_menseul", "tx_fammono", "tx_65etplus", "tx_25etmoins", "tx_demandeurs_emploi"}


def test_conflicting_duplicate_is_rejected(tmp_path):
    parsed = insee.parse(write(tmp_path, RATES + "3,23096,Guéret,23,50,50,9,27,14,\n"), millesime="2016")
    assert len(parsed.rejected) == 1 and parsed.rejected[0].line == 5 and "en double" in parsed.rejected[0].reason


def test_rate_outside_0_100(tmp_path):
    parsed = insee.parse(write(tmp_path, RATES.replace("51.1", "151.1")), millesime="2016")
    p = parsed.rejected[0]
    assert (p.line, p.field) == (2, "TX_MENSEUL") and "hors de 0–100" in p.reason


def test_non_numeric_rate(tmp_path):
    parsed = insee.parse(write(tmp_path, RATES.replace("51.1", "beaucoup")), millesime="2016")
    assert parsed.rejected[0].field == "TX_MENSEUL"


def test_unknown_column_refuses_the_file(tmp_path):
    with pytest.raises(SourceError, match="TX_BONHEUR"):
        insee.parse(write(tmp_path, "CODE_INSEE;TX_BONHEUR\n23096;12\n"), millesime="2016")


def test_millesime_required_and_checked(tmp_path):
    with pytest.raises(SourceError, match="précisez --millesime"):
        insee.parse(write(tmp_path, RATES))
    with pytest.raises(SourceError, match="invalide"):
        insee.parse(write(tmp_path, RATES), millesime="2016T1")


def test_dossier_complet_counts_give_rates(tmp_path):
    text = "CODGEO;P19_POP;P19_POP65P;C19_MEN;C19_MENPSEUL;C19_FAM;C19_FAMMONO;P19_NSCOL15P;P19_NSCOL15P_DIPLMIN\n"
    text += "23096;13000;3250;6800;3400;3300;330;10000;5000\n"
    parsed = insee.parse(write(tmp_path, text, encoding="cp1252"))
    row = parsed.rows[0]
    assert parsed.millesime == "2019"
    assert (row["tx_65etplus"], row["tx_menseul"], row["tx_fammono"], row["tx_nscol15p"], row["population"]) == (25.0, 50.0, 10.0, 50.0, 13000)


def test_count_above_its_denominator_is_rejected(tmp_path):
    text = "CODGEO;P19_POP;P19_POP65P\n23096;100;300\n"
    parsed = insee.parse(write(tmp_path, text))
    assert parsed.rejected[0].field == "P19_POP65P"


def test_populations_file(real_data):
    parsed = insee.parse(real_data / "insee" / "populations_communes.csv", millesime="2019")
    assert parsed.columns == ["population"] and not parsed.rejected
    assert next(r for r in parsed.rows if r["code_source"] == "23096")["population"] == 13161
