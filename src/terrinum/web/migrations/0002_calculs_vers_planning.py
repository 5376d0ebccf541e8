# The siting jobs' model moved to planning (planning 0001 declares it on the same table).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("web", "0001_calculs_implantation")]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel("CalculImplantation")])]
