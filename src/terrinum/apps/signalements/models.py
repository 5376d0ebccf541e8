"""Reports of poorly covered zones, their measurements, and the candidate zones the
département's project team builds from them (docs/couverture.md)."""

from django.conf import settings
from django.db import models

from terrinum.accounts.models import Organisation

OPERATORS = [("OF", "Orange"), ("SFR0", "SFR"), ("BOUY", "Bouygues Telecom"), ("FREE", "Free Mobile")]
USAGES = [
    ("voix", "Appels et SMS"),
    ("internet", "Internet mobile"),
    ("interieur", "À l'intérieur des bâtiments"),
    ("exterieur", "À l'extérieur"),
]
CONCERNED = [
    ("habitations", "Habitations"),
    ("entreprises", "Entreprises"),
    ("exploitation_agricole", "Exploitation agricole"),
    ("erp", "Établissement recevant du public"),
    ("axe_routier", "Axe routier"),
]
FREQUENCIES = [("permanent", "En permanence"), ("frequent", "Souvent"), ("occasionnel", "Parfois")]
# In a report's check (Signalement.verification): an operator without any coverage file there.
NO_DATA = "pas de donnée"


class Arrete(models.Model):
    """A ministerial order of the targeted-coverage scheme (« dispositif de couverture ciblée »
    of the New Deal Mobile): it designates zones of a département and the operators who must
    cover them (one, or several sharing the site), within a deadline (24 months from the
    order). docs/couverture.md, « Arrêtés et suivi »."""

    DELAI_MOIS = 24

    departement_code = models.CharField(max_length=3, db_index=True)
    numero = models.CharField(max_length=60)
    date = models.DateField(help_text="Date de l'arrêté")
    echeance = models.DateField(help_text="Date limite de mise en service (24 mois après l'arrêté)")
    operateurs = models.JSONField(default=list, help_text="Les opérateurs désignés (codes ARCEP)")
    cree_le = models.DateTimeField(auto_now_add=True)
    cree_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["departement_code", "numero"], name="arrete_departement_numero")]
        ordering = ["departement_code", "date", "numero"]

    def __str__(self) -> str:
        return f"Arrêté {self.numero} du {self.date:%d/%m/%Y}"


class Zone(models.Model):
    """A candidate zone: nearby reports of one département grouped by the project team, its
    score (ranking) and the team's decision."""

    A_EXAMINER = "a_examiner"
    PROPOSE = "propose"
    ECARTE = "ecarte"
    DEJA_COUVERT = "deja_couvert"
    SITE_EN_COURS = "site_en_cours"
    DECISIONS = [
        (A_EXAMINER, "À examiner"),
        (PROPOSE, "Proposée à l'arrêté"),
        (ECARTE, "Écartée"),
        (DEJA_COUVERT, "Déjà couverte"),
        (SITE_EN_COURS, "Site existant ou en cours"),
    ]

    departement_code = models.CharField(max_length=3, db_index=True)
    numero = models.PositiveIntegerField()
    creee_le = models.DateTimeField(auto_now_add=True)
    distance_m = models.PositiveIntegerField()  # the grouping distance used
    score = models.FloatField()
    detail = models.JSONField(default=dict)  # the score's terms and what they rest on
    decision = models.CharField(max_length=16, choices=DECISIONS, default=A_EXAMINER)
    motif = models.TextField(blank=True)
    decide_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decide_le = models.DateTimeField(null=True, blank=True)
    # After the proposal: the order that designates the zone, and the site's progress. A site put
    # in service after the order's deadline stays counted late (`retard_jours`).
    ORDONNEE, SITE_IDENTIFIE, EN_SERVICE, ABANDONNEE = "ordonnee", "site_identifie", "en_service", "abandonnee"
    ETAPES = [(ORDONNEE, "Désignée par arrêté"), (SITE_IDENTIFIE, "Site identifié"), (EN_SERVICE, "Site en service"), (ABANDONNEE, "Abandonnée")]
    arrete = models.ForeignKey(Arrete, null=True, blank=True, on_delete=models.PROTECT, related_name="zones")
    etape = models.CharField(max_length=16, choices=ETAPES, blank=True)
    en_service_le = models.DateField(null=True, blank=True)
    etape_motif = models.TextField(blank=True)
    # The justification sheet: the project team's notes on the zone (what the figures do not say).
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["departement_code", "numero"], name="zone_couverture_numero")]
        ordering = ["departement_code", "-score", "numero"]

    def __str__(self) -> str:
        return f"Zone {self.numero} ({self.departement_code})"

    def retard_jours(self, today) -> int | None:
        """Days past the order's deadline: until the site is in service, or at its going into
        service (then fixed: a late site stays late); None without an order or abandoned."""
        if self.arrete_id is None or self.etape == self.ABANDONNEE:
            return None
        end = self.en_service_le if self.etape == self.EN_SERVICE else today
        return max(0, (end - self.arrete.echeance).days)


class Signalement(models.Model):
    """A zone where the mobile network fails, reported by a collectivité's élu or agent."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="signalements_couverture")
    auteur = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    commune_code = models.CharField(max_length=5, db_index=True)
    departement_code = models.CharField(max_length=3, db_index=True)
    longitude = models.FloatField(null=True, blank=True)  # WGS84; none when only a lieu-dit is given
    latitude = models.FloatField(null=True, blank=True)
    lieu_dit = models.CharField(max_length=200, blank=True)
    operateurs = models.JSONField(default=list)
    usages = models.JSONField(default=list)
    frequence = models.CharField(max_length=12, choices=FREQUENCIES)
    concernes = models.JSONField(default=list)
    personnes = models.PositiveIntegerField(null=True, blank=True)  # as estimated by the reporter
    description = models.TextField(blank=True)
    cree_le = models.DateTimeField(auto_now_add=True)
    verification = models.JSONField(null=True, blank=True)  # the check against the data, with their versions
    verifie_le = models.DateTimeField(null=True, blank=True)
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="signalements")

    class Meta:
        ordering = ["-cree_le", "-pk"]

    def __str__(self) -> str:
        return f"Signalement {self.pk} ({self.commune_code})"

    @property
    def statut(self) -> str:
        """What the reporter follows: « Reçu » until grouped, then the zone's decision."""
        if self.zone is None:
            return "Reçu, pas encore examiné"
        return self.zone.get_decision_display()


class Mesure(models.Model):
    """One line of a measurement file attached to a report (position, operator, technology,
    downlink speed)."""

    signalement = models.ForeignKey(Signalement, on_delete=models.CASCADE, related_name="mesures")
    ligne = models.PositiveIntegerField()
    longitude = models.FloatField()
    latitude = models.FloatField()
    operateur = models.CharField(max_length=8, blank=True)
    techno = models.CharField(max_length=8, blank=True)
    debit_descendant = models.FloatField(null=True, blank=True)  # Mbit/s

    class Meta:
        ordering = ["ligne"]


class EtapeZone(models.Model):
    """The history of a zone after its proposal (order, site identified, in service,
    abandoned): who, when, what; the élus who reported in the zone are told each step."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="etapes")
    etape = models.CharField(max_length=16)
    quand = models.DateTimeField(auto_now_add=True)
    date = models.DateField(null=True, blank=True)  # the step's own date (the order's, the going into service)
    par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    courriels = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["quand", "id"]


class SiteNewDeal(models.Model):
    """A site of ARCEP's New Deal file (targeted coverage) of a département, as imported, and
    the zone it answers when one is found (same commune, same order) or chosen by the project
    team. docs/couverture.md, « Sites du fichier de l'ARCEP »."""

    departement_code = models.CharField(max_length=3, db_index=True)
    num_arrete = models.CharField(max_length=60)
    code_commune = models.CharField(max_length=5)
    operateurs = models.CharField(max_length=60)
    date_publication = models.DateField()
    echeance = models.DateField()
    en_service = models.BooleanField(default=False)
    date_mise_en_service = models.DateField(null=True, blank=True)
    millesime = models.CharField(max_length=10)
    demo = models.BooleanField(default=False)
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="sites_arcep")
    lie_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")  # none: matched by Terrinum
    lie_le = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["departement_code", "num_arrete", "code_commune", "operateurs"], name="site_new_deal_unique")]
        ordering = ["departement_code", "num_arrete", "code_commune"]


class Campagne(models.Model):
    """A year's campaign of the targeted-coverage scheme in a département: the number of zones
    allotted to it (« dotation »), within which its project team proposes and ranks zones."""

    departement_code = models.CharField(max_length=3)
    annee = models.PositiveSmallIntegerField()
    dotation = models.PositiveSmallIntegerField()
    modifie_le = models.DateTimeField(auto_now=True)
    modifie_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["departement_code", "annee"], name="campagne_departement_annee")]


class PhotoZone(models.Model):
    """A photo joined to a zone's justification sheet (PNG or JPEG read by content, 5 MB at
    most), kept in the database with its hash."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="photos")
    nom = models.CharField(max_length=200)
    legende = models.CharField(max_length=300, blank=True)
    type_mime = models.CharField(max_length=20)
    taille = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    contenu = models.BinaryField()
    deposee_le = models.DateTimeField(auto_now_add=True)
    deposee_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["deposee_le", "id"]
