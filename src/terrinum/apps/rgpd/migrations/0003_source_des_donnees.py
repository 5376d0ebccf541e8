# « Source des données » held the legal references of the model an activity was copied from:
# they move to the legal basis' justification, and the source becomes where the data comes
# from (apps/rgpd/modeles.py, ORIGINS). Only copies left as copied are changed (their source
# still equal to the model's references); an activity the DPO edited keeps what was written.

from django.db import migrations


def move_references(apps, schema_editor):
    from terrinum.apps.rgpd import modeles

    Activite = apps.get_model("rgpd", "Activite")
    for key, model in modeles.BY_KEY.items():
        for a in Activite.objects.filter(modele=key, source=model.sources):
            if model.sources not in a.justification:
                a.justification = f"{a.justification} Références : {model.sources}".strip()
            a.source = modeles.ORIGINS.get(key, "")
            a.save(update_fields=["justification", "source"])


class Migration(migrations.Migration):
    dependencies = [("rgpd", "0002_suites_et_violations")]

    operations = [migrations.RunPython(move_references, migrations.RunPython.noop)]
