"""The registry of places of digital mediation. Field names are those of the national
standard "Lieux de médiation numérique" v1.0.2; multi-valued fields keep the standard's
`|`-separated text."""

from django.conf import settings
from django.db import models

from terrinum.accounts.models import Organisation


class Lieu(models.Model):
    identifiant = models.CharField("id", max_length=200, unique=True)  # the standard's `id`
    pivot = models.CharField(max_length=14)
    nom = models.CharField(max_length=300)
    commune = models.CharField(max_length=200)
    code_postal = models.CharField(max_length=5)
    code_insee = models.CharField(max_length=5, null=True, blank=True)
    adresse = models.CharField(max_length=300)
    complement_adresse = models.CharField(max_length=300, null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    typologie = models.CharField(max_length=200, null=True, blank=True)
    telephone = models.CharField(max_length=20, null=True, blank=True)
    courriels = models.TextField(null=True, blank=True)
    site_web = models.TextField(null=True, blank=True)
    horaires = models.TextField(null=True, blank=True)
    presentation_resume = models.CharField(max_length=280, null=True, blank=True)
    presentation_detail = models.TextField(null=True, blank=True)
    source = models.CharField(max_length=300, null=True, blank=True)
    itinerance = models.CharField(max_length=30, null=True, blank=True)
    structure_parente = models.CharField(max_length=300, null=True, blank=True)
    date_maj = models.DateField()
    services = models.TextField(null=True, blank=True)
    publics_specifiquement_adresses = models.TextField(null=True, blank=True)
    prise_en_charge_specifique = models.TextField(null=True, blank=True)
    frais_a_charge = models.TextField(null=True, blank=True)
    dispositif_programmes_nationaux = models.TextField(null=True, blank=True)
    formations_labels = models.TextField(null=True, blank=True)
    autres_formations_labels = models.TextField(null=True, blank=True)
    modalites_acces = models.TextField(null=True, blank=True)
    modalites_accompagnement = models.TextField(null=True, blank=True)
    fiche_acces_libre = models.TextField(null=True, blank=True)
    prise_rdv = models.TextField(null=True, blank=True)

    # Terrinum's own fields, outside the standard.
    commune_code = models.CharField(max_length=5, null=True, db_index=True)  # current commune (reconciled)
    comptoir_numerique = models.BooleanField("Comptoir du numérique", default=False)
    pass_numerique = models.BooleanField("Pass numérique accepté", default=False)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="lieux")
    provenance = models.JSONField(default=dict)  # field -> {"source": ..., "date_maj": ...}

    class Meta:
        verbose_name = "lieu de médiation numérique"
        verbose_name_plural = "lieux de médiation numérique"
        indexes = [
            models.Index(fields=["code_postal"]),
            # The places accepting the Pass numérique, few among thousands: the search's change
            # stamp counts them at every visitor's request (services.registry_stamp); without
            # this index each count read the whole table (10 ms for 15,000 libraries).
            models.Index(fields=["id"], condition=models.Q(pass_numerique=True), name="lieu_pass_numerique"),
        ]

    def __str__(self) -> str:
        return f"{self.nom} ({self.commune})"


class LieuIdentifiant(models.Model):
    """An identifier a source gave to a place: re-importing that source finds the place
    again, even after it was merged with the same place from another source."""

    lieu = models.ForeignKey(Lieu, on_delete=models.CASCADE, related_name="identifiants")
    source = models.CharField(max_length=300)
    identifiant = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "identifiant"], name="lieu_identifiant_source")]


class LieuChangement(models.Model):
    """Change log: who (a user, or an import) changed which fields, from what to what."""

    lieu = models.ForeignKey(Lieu, on_delete=models.CASCADE, related_name="changements")
    quand = models.DateTimeField(auto_now_add=True)
    auteur = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    origine = models.CharField(max_length=300)  # "import <source> (<file>)", "formulaire", ...
    changements = models.JSONField()  # field -> [before, after]

    class Meta:
        ordering = ["-quand", "-id"]
