"""The statements' lines per programme (filled from the vouchers already paid); the vouchers'
statement neither indexed nor checked by the database; on PostgreSQL the vouchers' pages keep
half their room for the new version of each row (fillfactor 50): a voucher is updated when
handed out and when paid, and a settlement pays every voucher of a month at once — each
update written on the row's own page touches no index (models.Cheque.reglement)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Sum


def fill_lines(apps, schema_editor):
    Cheque, LigneReglement = apps.get_model("pass_numerique", "Cheque"), apps.get_model("pass_numerique", "LigneReglement")
    paid = (
        Cheque.objects.filter(reglement__isnull=False).values("reglement_id", "programme_id").annotate(n=Count("id"), total=Sum("programme__valeur_centimes"))
    )
    LigneReglement.objects.bulk_create(
        LigneReglement(reglement_id=r["reglement_id"], programme_id=r["programme_id"], cheques=r["n"], montant_centimes=r["total"]) for r in paid.order_by()
    )


def room_for_updates(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE pass_numerique_cheque SET (fillfactor = 50)")


class Migration(migrations.Migration):
    dependencies = [
        ("pass_numerique", "0008_factures"),
    ]

    operations = [
        migrations.AlterField(
            model_name="cheque",
            name="reglement",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cheques_regles",
                to="pass_numerique.reglement",
            ),
        ),
        migrations.CreateModel(
            name="LigneReglement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("cheques", models.PositiveIntegerField()),
                ("montant_centimes", models.PositiveBigIntegerField()),
                ("programme", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="lignes_reglement", to="pass_numerique.programme")),
                ("reglement", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="lignes", to="pass_numerique.reglement")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("reglement", "programme"), name="ligne_reglement_programme")],
            },
        ),
        migrations.RunPython(fill_lines, migrations.RunPython.noop),
        migrations.RunPython(room_for_updates, migrations.RunPython.noop),
    ]
