"""The Pass numérique: programmes of a funder, carnets handed out by prescribers to
pseudonymous beneficiaries, vouchers redeemed in labelled places, and the append-only
ledger of every voucher's transitions. Rules: docs/pass-numerique.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from terrinum.accounts.models import Organisation
from terrinum.apps.inclusion.models import Lieu

EMIS, ATTRIBUE, UTILISE, REMBOURSE, EXPIRE, ANNULE = "emis", "attribue", "utilise", "rembourse", "expire", "annule"
STATES = [(EMIS, "émis"), (ATTRIBUE, "attribué"), (UTILISE, "utilisé"), (REMBOURSE, "remboursé"), (EXPIRE, "expiré"), (ANNULE, "annulé")]
# The transitions a voucher may take (from -> to); "" is its creation.
TRANSITIONS = {
    "": {EMIS},
    EMIS: {ATTRIBUE, EXPIRE, ANNULE},
    ATTRIBUE: {UTILISE, EXPIRE, ANNULE},
    UTILISE: {REMBOURSE},
    REMBOURSE: set(),
    EXPIRE: set(),
    ANNULE: set(),
}


class Programme(models.Model):
    """A funder's order: a territory, carnets of 5 or 10 vouchers of a face value, valid to a
    date (redeemable to a later tolerance date), the prescribers who hand them out, the
    places where they are accepted (none listed: every labelled place of the territory)."""

    nom = models.CharField(max_length=200)
    financeur = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="programmes_pass")
    territoire_niveau = models.CharField(max_length=16)
    territoire_code = models.CharField(max_length=9)
    carnets = models.PositiveIntegerField()
    cheques_par_carnet = models.PositiveSmallIntegerField(choices=[(5, "5"), (10, "10")])
    valeur_centimes = models.PositiveIntegerField(default=1000)
    fin_validite = models.DateField()
    fin_tolerance = models.DateField()
    frais_pour_dix_mille = models.PositiveIntegerField(default=400)  # the operator's fee: 400 = 4 % excl. VAT of the vouchers ordered
    # The funder's budget line its payments to public places are mandated on (the public
    # accountant's export), e.g. « 65-6574 » ; empty: to be filled in by the accountant.
    imputation = models.CharField(max_length=60, blank=True)
    prescripteurs = models.ManyToManyField(Organisation, related_name="programmes_prescrits", blank=True)
    # The operator the funder mandates for this programme: it qualifies places, settles and
    # invoices the funder; it sees the programmes it operates, not other operators' ones.
    operateur = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="programmes_operes")
    lieux_eligibles = models.ManyToManyField(Lieu, related_name="programmes_pass", blank=True)
    cree_le = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.nom


class Beneficiaire(models.Model):
    """A person who received a carnet, pseudonymous: age band, commune, needs profile and
    reason; a name only when the prescriber records one with its purpose."""

    AGES = [("moins-25", "moins de 25 ans"), ("25-59", "25 à 59 ans"), ("60-74", "60 à 74 ans"), ("75-plus", "75 ans et plus")]

    prescripteur = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="beneficiaires_pass")
    tranche_age = models.CharField(max_length=8, choices=AGES)
    commune_code = models.CharField(max_length=5)
    profil = models.CharField(max_length=60, blank=True)
    motif = models.CharField(max_length=200)
    nom = models.CharField(max_length=200, blank=True)
    finalite_nom = models.CharField(max_length=200, blank=True)  # why a name is kept
    cree_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(nom="") | ~Q(finalite_nom=""), name="beneficiaire_nom_avec_finalite")]


class Carnet(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="carnets_emis")
    numero = models.PositiveIntegerField()
    prescripteur = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT, related_name="carnets_pass")
    beneficiaire = models.ForeignKey(Beneficiaire, null=True, on_delete=models.SET_NULL, related_name="carnets")
    attribue_le = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "numero"], name="carnet_programme_numero")]


class Reglement(models.Model):
    """What a place is paid for the vouchers it redeemed in a month (one per place and month)."""

    lieu = models.ForeignKey(Lieu, on_delete=models.PROTECT, related_name="reglements_pass")
    mois = models.CharField(max_length=7)  # AAAA-MM
    cheques = models.PositiveIntegerField()
    montant_centimes = models.PositiveBigIntegerField()
    etabli_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lieu", "mois"], name="reglement_lieu_mois")]
        ordering = ["-mois", "lieu_id"]


class Cheque(models.Model):
    """A voucher. `etat` is the last state of its ledger (kept in the same transaction as
    each entry; `terrinum pass-numerique verifier` proves they agree)."""

    code = models.CharField(max_length=13, unique=True)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="cheques")
    carnet = models.ForeignKey(Carnet, on_delete=models.PROTECT, related_name="cheques")
    # not indexed: read through the programme or the code; an index on six values slowed the
    # settlement's UPDATE of a million rows (docs/pass-numerique.md)
    etat = models.CharField(max_length=10, choices=STATES, default=EMIS)
    lieu = models.ForeignKey(Lieu, null=True, on_delete=models.PROTECT, related_name="cheques_pass")
    utilise_le = models.DateTimeField(null=True, db_index=True)
    # Set by the settlement only, in the transaction that writes the statement and its lines
    # (a statement is never deleted). Neither indexed nor checked by the database, so that
    # paying a million vouchers changes no indexed column: on PostgreSQL the update then stays
    # on the row's page (HOT: no index entry written; the table keeps room for it, migration
    # 0009) and no foreign-key check runs per row at commit. A statement's vouchers are read
    # through the place's index (`services.statement_lines`), its totals from its lines
    # (`LigneReglement`), and `terrinum pass-numerique verifier` proves every paid voucher's
    # statement is its place's for its month and that lines and vouchers agree
    # (docs/notes-techniques.md: 28 → 9 s for the UPDATE of a million rows).
    reglement = models.ForeignKey(Reglement, null=True, on_delete=models.PROTECT, related_name="cheques_regles", db_index=False, db_constraint=False)


class LigneReglement(models.Model):
    """A statement's vouchers of one programme: count and amount, written by the settlement
    with the statement. Transfers, mandates and each funder's view of the statements read
    these few lines, not the month's vouchers."""

    reglement = models.ForeignKey(Reglement, on_delete=models.PROTECT, related_name="lignes")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="lignes_reglement")
    cheques = models.PositiveIntegerField()
    montant_centimes = models.PositiveBigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reglement", "programme"], name="ligne_reglement_programme")]


class Mouvement(models.Model):
    """One entry of the ledger: a voucher going from one state to another, by whom, where
    (the statement that paid a voucher is the voucher's `reglement`).
    Entries are only ever added: saving an existing one or deleting one raises."""

    cheque = models.ForeignKey(Cheque, on_delete=models.PROTECT, related_name="mouvements")
    de = models.CharField(max_length=10, blank=True)
    vers = models.CharField(max_length=10, choices=STATES)
    quand = models.DateTimeField()
    auteur = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT, related_name="+")
    lieu = models.ForeignKey(Lieu, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            # The database itself refuses a second use (or a second payment) of a voucher.
            models.UniqueConstraint(fields=["cheque"], condition=Q(vers="utilise"), name="mouvement_une_utilisation"),
            models.UniqueConstraint(fields=["cheque"], condition=Q(vers="rembourse"), name="mouvement_un_remboursement"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("le registre des chèques n'est jamais modifié : ajoutez un mouvement")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("le registre des chèques n'est jamais effacé")


class EssaiCode(models.Model):
    """A wrong code typed by an account (throttling; kept only for the throttling window)."""

    auteur = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quand = models.DateTimeField(auto_now_add=True, db_index=True)


class Autodiagnostic(models.Model):
    """An anonymous needs assessment: the commune and the answers, nothing else (no account,
    no address, no time finer than the day)."""

    commune_code = models.CharField(max_length=5, db_index=True)
    reponses = models.JSONField()
    profil = models.CharField(max_length=20)
    jour = models.DateField()
    # A keyed hash of the client's address and the day (services.answer_source): answers of
    # one connection on one day count once in the published figures, and at most
    # MAX_ANSWERS_PER_SOURCE are kept. Not reversible without the secret key, not linkable
    # from one day to the next. Empty for answers recorded before.
    source = models.CharField(max_length=16, blank=True, default="", db_index=True)


class Qualification(models.Model):
    """A decision on a place for a programme (« structure qualifiée »): granted, refused,
    suspended or withdrawn, by whom (an account of the programme's funder, or the platform's
    administrator), for which organisation, when and why. Decisions are only ever added; the
    place's standing for a programme on a day is its last decision made by then. A place never
    qualifies itself: eligibility to redeem rests on these rows, not on anything the place's
    account can edit (docs/pass-numerique.md, « Qualification des lieux »)."""

    DEMANDE, QUALIFIE, REFUSE, SUSPENDU, RETIRE = "demande", "qualifie", "refuse", "suspendu", "retire"
    # « demandé »: the place's own application (its file complete), the one step it takes itself
    DECISIONS = [(DEMANDE, "demandé"), (QUALIFIE, "qualifié"), (REFUSE, "refusé"), (SUSPENDU, "suspendu"), (RETIRE, "retiré")]

    lieu = models.ForeignKey(Lieu, on_delete=models.PROTECT, related_name="qualifications_pass")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="qualifications")
    decision = models.CharField(max_length=10, choices=DECISIONS)
    motif = models.CharField(max_length=500, blank=True)
    par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT, related_name="+")
    quand = models.DateTimeField()

    class Meta:
        ordering = ["quand", "id"]
        indexes = [models.Index(fields=["lieu", "programme", "quand"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("une décision de qualification n'est jamais modifiée : ajoutez-en une")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("les décisions de qualification ne sont jamais effacées")


class Structure(models.Model):
    """The legal entity behind a place, as the funder needs it to qualify and pay it: legal
    name, SIRET (checked), legal representative, public or private (a public place is paid
    through the public accountant, a private one by SEPA transfer), and the account its
    payments go to (IBAN and BIC, checked). Kept by the place's accounts."""

    lieu = models.OneToOneField(Lieu, on_delete=models.PROTECT, related_name="structure_pass")
    raison_sociale = models.CharField(max_length=200)
    siret = models.CharField(max_length=14, unique=True)
    representant = models.CharField(max_length=200)  # name and title of the legal representative
    publique = models.BooleanField()
    titulaire = models.CharField(max_length=70)  # the account holder (SEPA: 70 characters)
    iban = models.CharField(max_length=34)
    bic = models.CharField(max_length=11)
    modifie_le = models.DateTimeField(auto_now=True)
    modifie_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return self.raison_sociale


class Piece(models.Model):
    """A supporting document of a place's file (PDF, JPEG or PNG, checked by content, at most
    services.MAX_PIECE_BYTES), kept in the database with its hash (backups carry it)."""

    NATURES = [
        ("rib", "relevé d'identité bancaire"),
        ("identite", "justificatif d'existence (avis de situation SIRENE, extrait Kbis, statuts)"),
        ("delegation", "délégation de signature du représentant"),
        ("autre", "autre pièce"),
    ]

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="pieces")
    nature = models.CharField(max_length=12, choices=NATURES)
    nom = models.CharField(max_length=200)
    type_mime = models.CharField(max_length=40)
    taille = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    contenu = models.BinaryField()
    depose_le = models.DateTimeField(auto_now_add=True)
    depose_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["depose_le", "id"]


class CompteFinanceur(models.Model):
    """The account a funder pays places from: the debtor of its SEPA transfer files."""

    financeur = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="compte_pass")
    titulaire = models.CharField(max_length=70)
    iban = models.CharField(max_length=34)
    bic = models.CharField(max_length=11)
    modifie_le = models.DateTimeField(auto_now=True)


class Dotation(models.Model):
    """Carnets of a programme allocated by its funder to a prescriber (a negative count takes
    some back, to reallocate them). A prescriber's stock is the sum of its allocations less
    the carnets it handed out; once a programme allocates, a prescriber hands out only from
    its stock. Only ever added, like the ledger."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="dotations")
    prescripteur = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="dotations_pass")
    carnets = models.IntegerField()
    quand = models.DateTimeField(auto_now_add=True)
    par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["quand", "id"]


class Rappel(models.Model):
    """A reminder sent before a programme's vouchers stop being accepted (30 and 15 days
    before): recorded once per programme and step, so that a daily run sends each once."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="rappels")
    jours = models.PositiveSmallIntegerField()
    envoye_le = models.DateTimeField(auto_now_add=True)
    destinataires = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "jours"], name="rappel_programme_jours")]


class Facturation(models.Model):
    """The billing identity of an organisation: the operator that invoices, the funder that is
    invoiced (legal name, SIRET, intra-EU VAT number for the issuer, postal address)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="facturation_pass")
    raison_sociale = models.CharField(max_length=200)
    siret = models.CharField(max_length=14)
    tva = models.CharField(max_length=13, blank=True)  # FR + 2 check digits + SIREN
    adresse = models.CharField(max_length=200)
    code_postal = models.CharField(max_length=5)
    ville = models.CharField(max_length=100)
    modifie_le = models.DateTimeField(auto_now=True)
    modifie_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")


class Compteur(models.Model):
    """The last number an issuer gave in a year: invoices and credit notes share one sequence
    per issuer and year, taken in the transaction that writes the document (no gap)."""

    emetteur = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    annee = models.PositiveSmallIntegerField()
    dernier = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["emetteur", "annee"], name="compteur_emetteur_annee")]


class Facture(models.Model):
    """An invoice or a credit note of the operator to the funder, as issued: its number, its
    amounts and its Factur-X PDF (EN 16931 XML inside a PDF/A-3), never changed nor deleted.
    A programme has one invoice of the vouchers' face value and one of the operator's fee
    (both with the order), and at most one credit note of the vouchers credited back."""

    FACTURE, AVOIR = "facture", "avoir"
    NATURES = [(FACTURE, "facture"), (AVOIR, "avoir")]
    VALEUR, FRAIS = "valeur", "frais"
    OBJETS = [(VALEUR, "valeur faciale des chèques"), (FRAIS, "frais de gestion de l'opérateur")]

    emetteur = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="factures_emises_pass")
    client = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="factures_recues_pass")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="factures")
    nature = models.CharField(max_length=8, choices=NATURES)
    objet = models.CharField(max_length=8, choices=OBJETS)
    annee = models.PositiveSmallIntegerField()
    rang = models.PositiveIntegerField()
    numero = models.CharField(max_length=20)
    emise_le = models.DateField()
    quantite = models.PositiveIntegerField()
    prix_centimes = models.PositiveBigIntegerField()  # per unit, excl. VAT
    ht_centimes = models.PositiveBigIntegerField()
    taux_tva_pour_dix_mille = models.PositiveIntegerField()  # 2000 = 20 %; 0: not subject to VAT
    tva_centimes = models.PositiveBigIntegerField()
    origine = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="avoirs")
    pdf = models.BinaryField()
    par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["annee", "rang"]
        constraints = [
            models.UniqueConstraint(fields=["emetteur", "annee", "rang"], name="facture_sans_doublon"),
            models.UniqueConstraint(fields=["programme", "nature", "objet"], name="facture_une_par_objet"),
        ]

    @property
    def ttc_centimes(self) -> int:
        return self.ht_centimes + self.tva_centimes

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("une facture émise n'est jamais modifiée : émettez un avoir")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("une facture émise n'est jamais effacée")
