"""A row repeated in a file is a rejected row (file, line, field), never counted twice:
every source kind declares the key of its rows (identical duplicates included), except
where the file cannot tell a repetition from two real rows (mobile sites). Real extracts,
cut short, with one data line repeated at the end."""

from __future__ import annotations

import pytest

from terrinum.pillars import source_kinds
from terrinum.pillars.ingest import ingest
from terrinum.warehouse.ingest import IngestRefused

NEW_DEAL = """num_arrete;date_publication_arrete;code_insee;nom_site;origine_zone;20801;20810;20815;20820
2018-01;05/07/2018;08419;Signy Nord;ZBCB;1;0;0;0
2023-07;2023-12-20;23096;Guéret Est;DCC;1;1;1;1
"""


def _cut_with_repeat(source, target, lines: int, repeat_line: int) -> int:
    """The first `lines` lines of `source`, then its line `repeat_line` again; returns the
    line number of the repeat."""
    text = source.read_bytes().splitlines(keepends=True)
    head = text[:lines]
    target.write_bytes(b"".join(head) + text[repeat_line - 1])
    return len(head) + 1


@pytest.mark.parametrize(
    ("kind", "relative", "name", "lines", "repeat"),
    [
        ("arcep-mci-communes", "arcep/mci_2019T3_communes_debit_beta.csv", "mci_2019T3_communes.csv", 40, 3),
        ("arcep-ftth-informations", "arcep/obs_ftth_2018T1_informations_communes.csv", "obs_ftth_2018T1_informations_communes.csv", 60, 40),
    ],
)
def test_a_repeated_row_is_refused_with_its_line(warehouse, real_data, tmp_path, kind, relative, name, lines, repeat):
    path = tmp_path / name
    line = _cut_with_repeat(real_data / relative, path, lines, repeat)
    with pytest.raises(IngestRefused) as refused:
        ingest(warehouse, kind, path)
    assert any(p.line == line and "déjà présent" in p.reason for p in refused.value.problems), refused.value.problems
    report = ingest(warehouse, kind, path, accept_rejects=True)  # the valid rows, each once
    assert len(report.rejetees) == 1


def test_a_repeated_new_deal_site_is_refused(warehouse, tmp_path):
    path = tmp_path / "2024_T4_dcc_Metropole_sites.csv"
    path.write_text(NEW_DEAL + NEW_DEAL.splitlines()[1] + "\n")
    with pytest.raises(IngestRefused) as refused:
        ingest(warehouse, "arcep-newdeal-sites", path)
    assert [p.line for p in refused.value.problems] == [4]


def test_every_kind_says_how_its_rows_are_identified():
    """None only where the parser computes one row per key itself."""
    computed = {name for name, (_, kind) in source_kinds().items() if kind.key is None}
    assert computed == {"arcep-mci-batiments", "arcep-mobile-couverture", "arcep-mobile-sites", "lieux-mediation", "lieux-bibliotheques"}


def test_one_operator_twice_at_one_position_is_one_site_counted_twice(warehouse, real_data):
    """No site identifier in the file: the real La Réunion file repeats one row (lines 398
    and 399), one operator at the same position: a rejected row (1,029 sites read 1,030 once
    a line was duplicated), refused by default, left out with --accepter-rejets."""
    path = real_data / "mobile" / "sites_mobiles_2020T2_REU.csv"
    with pytest.raises(IngestRefused) as refused:
        ingest(warehouse, "arcep-mobile-sites", path)
    assert [(p.line, p.field) for p in refused.value.problems] == [(399, "Operateur, X, Y")]
    assert "déjà présent ligne 398" in refused.value.problems[0].reason
    assert ingest(warehouse, "arcep-mobile-sites", path, accept_rejects=True).chargees == 1028
