"""Référentiel territorial in the relational database (loaded by `terrinum init`)."""

from django.db import models

from terrinum.territories.normalize import de

NIVEAUX = [
    ("pays", "Pays"),
    ("region", "Région"),
    ("departement", "Département"),
    ("epci", "EPCI"),
    ("commune", "Commune"),
    ("arrondissement", "Arrondissement municipal"),
]
NIVEAU_LABELS = dict(NIVEAUX)


class Territory(models.Model):
    """One territory at one level; (niveau, code) is its identity.

    Parents are stored as codes (not foreign keys) so the reference can be reloaded in place
    without touching rows of other apps that point at territories by code.
    """

    niveau = models.CharField(max_length=16, choices=NIVEAUX)
    code = models.CharField(max_length=9)
    nom = models.CharField(max_length=200)
    nom_recherche = models.CharField(max_length=200, db_index=True)
    siren = models.CharField(max_length=9, null=True, blank=True, db_index=True)
    population = models.BigIntegerField(null=True)
    population_millesime = models.CharField(max_length=120, null=True)  # "2023 (Mayotte : 2017)"
    superficie_km2 = models.FloatField(null=True)
    nb_communes = models.IntegerField(null=True)
    departement_code = models.CharField(max_length=3, null=True, db_index=True)
    region_code = models.CharField(max_length=2, null=True, db_index=True)
    epci_code = models.CharField(max_length=9, null=True, db_index=True)
    commune_code = models.CharField(max_length=5, null=True, db_index=True)
    chef_lieu_code = models.CharField(max_length=5, null=True)
    epci_type = models.CharField(max_length=8, null=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    mairie = models.JSONField(null=True)
    geometrie = models.BinaryField(null=True)  # WKB, WGS84 (EPSG:4326)
    geometrie_carte = models.BinaryField(null=True)  # simplified WKB for maps
    geometrie_note = models.CharField(max_length=200, null=True)
    # The COG's « type de nom » (TNCC) of départements and régions, whose names come without
    # their article: 3 gives « la Creuse », « de la Creuse » (normalize.de).
    type_nom = models.PositiveSmallIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["niveau", "code"], name="territory_niveau_code")]
        indexes = [models.Index(fields=["niveau", "population"]), models.Index(fields=["code"])]

    def __str__(self) -> str:
        return f"{self.nom} ({self.niveau} {self.code})"

    @property
    def de_nom(self) -> str:
        """« de » and the name, as French says it: « du Havre », « des Mureaux », « de la
        Souterraine », « de l'Isle-Adam », « d'Ahun », « de la France » « de la Creuse », « des Ardennes », « de l'Ain » (the COG's type of name of départements
        and régions)."""
        return de(self.nom, self.niveau, self.type_nom)

    @property
    def niveau_label(self) -> str:
        return NIVEAU_LABELS[self.niveau]

    @property
    def densite(self) -> float | None:
        if self.population is None or not self.superficie_km2:
            return None
        return round(self.population / self.superficie_km2, 1)


class CodeAlias(models.Model):
    """A code that is not a current commune but resolves to one (commune déléguée or associée)."""

    code = models.CharField(max_length=5, db_index=True)
    nom = models.CharField(max_length=200)
    nom_recherche = models.CharField(max_length=200, db_index=True)
    type = models.CharField(max_length=20)
    commune_code = models.CharField(max_length=5)


class CodePostal(models.Model):
    code = models.CharField(max_length=5, db_index=True)
    commune_code = models.CharField(max_length=5, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "commune_code"], name="code_postal_commune")]
