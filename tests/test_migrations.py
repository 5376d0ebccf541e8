"""Every model change has its migration (a field made longer on SQLite alone broke PostgreSQL)."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_migration_is_missing():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
