from hypothesis import given
from hypothesis import strategies as st

from terrinum.territories.normalize import normalize


def test_accents_case_hyphens_apostrophes():
    assert normalize("Signy-l'Abbaye") == "signy l abbaye"
    assert normalize("Signy l Abbaye") == "signy l abbaye"
    assert normalize("SIGNY-L’ABBAYE") == "signy l abbaye"
    assert normalize("Guéret") == "gueret"
    assert normalize("  SAINT-DENIS ") == "saint denis"
    assert normalize("St-Denis") == "saint denis"
    assert normalize("Ste-Marie") == "sainte marie"
    assert normalize("Œuilly") == "oeuilly"


def test_nothing_left():
    assert normalize("'-- ’") == ""


@given(st.text())
def test_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@given(st.text(alphabet=st.characters(codec="latin-1")))
def test_case_insensitive(text):
    assert normalize(text.upper()) == normalize(text.lower())
