"""Qualification of places per programme. Places that carried the « Pass numérique accepté »
label before this migration keep accepting the vouchers of the programmes whose territory
holds them (or that listed them): one decision « qualifié » each, recorded as taken over from
the former label, without an author."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

TAKEN_OVER = "reprise du label « Pass numérique accepté » antérieur à la qualification par le commanditaire"
LEVEL_COLUMN = {"commune": "code", "epci": "epci_code", "departement": "departement_code", "region": "region_code"}


def take_over_labels(apps, schema_editor):
    Lieu = apps.get_model("inclusion", "Lieu")
    Programme = apps.get_model("pass_numerique", "Programme")
    Qualification = apps.get_model("pass_numerique", "Qualification")
    Territory = apps.get_model("territories", "Territory")
    now = timezone.now()
    for programme in Programme.objects.all():
        labelled = Lieu.objects.filter(pass_numerique=True)
        listed = list(programme.lieux_eligibles.values_list("pk", flat=True))
        if listed:
            labelled = labelled.filter(pk__in=listed)
        elif programme.territoire_niveau != "pays":
            column = LEVEL_COLUMN.get(programme.territoire_niveau)
            if column is None:
                continue
            communes = Territory.objects.filter(niveau="commune", **{column: programme.territoire_code}).values_list("code", flat=True)
            labelled = labelled.filter(commune_code__in=list(communes))
        Qualification.objects.bulk_create(
            Qualification(lieu_id=pk, programme=programme, decision="qualifie", motif=TAKEN_OVER, organisation_id=programme.financeur_id, quand=now)
            for pk in labelled.values_list("pk", flat=True)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('pass_numerique', '0003_autodiagnostic'),
        ('inclusion', '0001_initial'),
        ('accounts', '0004_alter_organisation_type'),
        ('territories', '0002_population_millesime_longer'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Qualification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('decision', models.CharField(choices=[('qualifie', 'qualifié'), ('refuse', 'refusé'), ('suspendu', 'suspendu'), ('retire', 'retiré')], max_length=10)),
                ('motif', models.CharField(blank=True, max_length=500)),
                ('quand', models.DateTimeField()),
                ('lieu', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='qualifications_pass', to='inclusion.lieu')),
                ('organisation', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation')),
                ('par', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('programme', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='qualifications', to='pass_numerique.programme')),
            ],
            options={
                'ordering': ['quand', 'id'],
                'indexes': [models.Index(fields=['lieu', 'programme', 'quand'], name='pass_numeri_lieu_id_2eed5f_idx')],
            },
        ),
        migrations.RunPython(take_over_labels, migrations.RunPython.noop),
    ]
