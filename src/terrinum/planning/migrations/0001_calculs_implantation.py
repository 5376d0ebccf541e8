# The siting jobs' model moved from the web layer to planning: only Django's state moves, the
# table stays (web 0002 forgets it, this one declares it with its table name).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("web", "0002_calculs_vers_planning"),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='CalculImplantation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('cle', models.CharField(db_index=True, max_length=64)),
                ('niveau', models.CharField(max_length=16)),
                ('code', models.CharField(max_length=9)),
                ('parametres', models.JSONField()),
                ('statut', models.CharField(choices=[('en_attente', 'en attente'), ('en_cours', 'en cours'), ('termine', 'terminé'), ('echec', 'échec')], default='en_attente', max_length=12)),
                ('etape', models.CharField(blank=True, max_length=200)),
                ('etapes_faites', models.PositiveSmallIntegerField(default=0)),
                ('resultat', models.JSONField(blank=True, null=True)),
                ('erreur', models.TextField(blank=True)),
                ('cree_le', models.DateTimeField(auto_now_add=True)),
                ('debut', models.DateTimeField(blank=True, null=True)),
                ('battement', models.DateTimeField(blank=True, null=True)),
                ('fin', models.DateTimeField(blank=True, null=True)),
                ('demandeur', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': "calcul d'implantation",
                'verbose_name_plural': "calculs d'implantation",
                'ordering': ['cree_le'],
                'db_table': 'web_calculimplantation',
            },
        ),
    ])]
