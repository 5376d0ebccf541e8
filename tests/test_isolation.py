"""The tests never touch the user's data directory (issue: ./run.sh then ./test.sh failed
because tests read the demo data ./run.sh had left in ./var)."""

from pathlib import Path

from terrinum.config import data_dir
from tests.isolation import REPO, USER_DATA_DIR


def test_the_data_directory_is_a_temporary_one():
    here = data_dir()
    assert here != USER_DATA_DIR and here != (REPO / "var").resolve()
    assert not here.is_relative_to(REPO)
    assert (here / "cache").resolve() == (REPO / ".cache" / "tests" / "reference").resolve()


def test_django_settings_were_read_with_it(settings):
    """The plugin runs before Django reads its settings (their DATA_DIR is the temporary one)."""
    assert Path(settings.DATA_DIR) == data_dir()
