"""ARCEP per-commune speed statistics: header generations, semantics, bad input."""

import pytest

from terrinum.sources import arcep_mci
from terrinum.sources.common import SourceError

CURRENT = """code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_bhd8;elig_thd30;elig_thd100;elig_thd1g;date
75056;Paris;75;11;1667292;all;0;1667292;1666875;1665081;1653974;1650487;1648916;2026-03-31
08419;Signy-l'Abbaye;08;44;900;all;10;890;880;850;600;500;400;2026-03-31
"""
Y2020 = """code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_cd_1;elig_cd_2;elig_cd_3;elig_cd_4;elig_cd_5;elig_cd_6;date
23096;Guéret;23;75;9000;all;0;9000;8990;8900;7000;6000;5000;2020-06-30
"""
BETA = """Version beta : les données sont présentées en l’état
code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_hd8;elig_thd30;elig_thd100;elig_thd1g;date
67017;Baerendorf;67;44;148;logloc;0;0;0;10;0;0;138;2019-09-30
69035;Cenves;69;84;280;logloc;91;0;0;189;0;0;0;2019-09-30
"""


def write(tmp_path, text, name="commune_debit.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_current_generation_is_cumulative(tmp_path):
    parsed = arcep_mci.parse(write(tmp_path, CURRENT))
    assert parsed.millesime == "2026T1"
    assert any("seuils cumulés" in n for n in parsed.notes)
    paris = parsed.rows[0]
    assert (paris["locaux"], paris["locaux_8mbits"], paris["locaux_30mbits"], paris["locaux_1gbits"]) == (1667292, 1665081, 1653974, 1648916)


def test_2020_generation(tmp_path):
    parsed = arcep_mci.parse(write(tmp_path, Y2020, encoding="latin-1"))
    assert parsed.millesime == "2020T2"
    assert any("elig_cd_1..6" in n for n in parsed.notes) and any("cp1252" in n for n in parsed.notes)
    row = parsed.rows[0]
    assert (row["locaux_8mbits"], row["locaux_30mbits"], row["locaux_100mbits"], row["locaux_1gbits"]) == (8900, 7000, 6000, 5000)


def test_2019_beta_is_exclusive_and_made_cumulative(tmp_path):
    parsed = arcep_mci.parse(write(tmp_path, BETA))
    assert any("classes exclusives" in n for n in parsed.notes)
    assert any("texte libre" in n for n in parsed.notes)
    b = parsed.rows[0]  # 10 in hd8 + 138 in thd1g
    assert (b["locaux_8mbits"], b["locaux_30mbits"], b["locaux_100mbits"], b["locaux_1gbits"]) == (148, 138, 138, 138)
    c = parsed.rows[1]  # 91 ineligible + 189 in hd8
    assert (c["locaux"], c["locaux_8mbits"], c["locaux_30mbits"]) == (280, 189, 0)


def test_row_against_the_detected_semantics_is_rejected_with_line_and_reason(tmp_path):
    header = BETA.splitlines()[1]
    good = "".join(f"0100{i};X;01;84;100;logloc;0;0;0;40;60;0;0;2019-09-30\n" for i in range(1, 10))
    bad = "21153;Châtellenot;21;27;125;logloc;0;0;0;100;0;0;0;2019-09-30\n"  # classes sum to 100, not 125
    parsed = arcep_mci.parse(write(tmp_path, header + "\n" + good + bad))
    assert len(parsed.rejected) == 1
    problem = parsed.rejected[0]
    assert problem.line == 11 and "diffère de nbr" in problem.reason
    assert "commune_debit.csv, ligne 11" in str(problem)


def test_cumulative_counts_that_increase_are_rejected(tmp_path):
    text = CURRENT + "".join(f"0100{i};X;01;84;100;all;0;100;100;90;80;70;60;2026-03-31\n" for i in range(1, 10))
    text += "01010;Y;01;84;100;all;0;100;100;90;95;70;60;2026-03-31\n"
    parsed = arcep_mci.parse(write(tmp_path, text))
    assert [p.line for p in parsed.rejected] == [13]
    assert "croissants" in parsed.rejected[0].reason


def test_non_numeric_count(tmp_path):
    parsed = arcep_mci.parse(write(tmp_path, CURRENT + "01001;X;01;84;abc;all;0;1;1;1;1;1;1;2026-03-31\n"))
    assert parsed.rejected[0].field == "nbr" and parsed.rejected[0].line == 4


def test_missing_columns_refuse_the_file(tmp_path):
    with pytest.raises(SourceError, match="colonnes de débit introuvables"):
        arcep_mci.parse(write(tmp_path, "code_insee;nbr;date\n01001;3;2020-01-01\n"))


def test_wrong_delimiter_refuses_the_file(tmp_path):
    with pytest.raises(SourceError, match="en-tête introuvable"):
        arcep_mci.parse(write(tmp_path, CURRENT.replace(";", "|")))


def test_file_with_neither_semantics_is_refused(tmp_path):
    text = CURRENT.splitlines()[0] + "\n" + "".join(f"0100{i};X;01;84;100;all;0;10;20;30;40;50;60;2026-03-31\n" for i in range(1, 9))
    with pytest.raises(SourceError, match="ni classes exclusives"):
        arcep_mci.parse(write(tmp_path, text))


def test_vintage_comes_from_the_date_column(tmp_path):
    with pytest.raises(SourceError, match="contredit"):
        arcep_mci.parse(write(tmp_path, CURRENT), millesime="2025T4")
    no_date = "\n".join(";".join(line.split(";")[:-1]) for line in CURRENT.splitlines()) + "\n"
    with pytest.raises(SourceError, match="précisez --millesime"):
        arcep_mci.parse(write(tmp_path, no_date))
    assert arcep_mci.parse(write(tmp_path, no_date), millesime="2026t1").millesime == "2026T1"


def test_real_2019_file(real_data):
    parsed = arcep_mci.parse(real_data / "arcep" / "mci_2019T3_communes_debit_beta.csv")
    assert parsed.read == 35359 and not parsed.rejected
    assert parsed.millesime == "2019T3"
    assert any("classes exclusives" in n and "35359/35359" in n for n in parsed.notes)
    assert sum(r["locaux"] for r in parsed.rows) == 42_270_879
