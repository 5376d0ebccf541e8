"""The RGPD registers of the collectivités served by a shared DPO (docs/rgpd.md).

Every object belongs to one collectivité (`Collectivite`, the RGPD file of an existing
`accounts.Organisation`); the policy judges it by `organisation_id`, which each object
exposes. Lists of labels (data subjects, security measures, DPIA criteria...) are JSON lists
of the keys defined here, validated by the services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from terrinum.accounts.models import Organisation
from terrinum.apps.rgpd import echeances

CATEGORIES = [
    ("commune", "Commune"),
    ("ccas", "CCAS"),
    ("epci", "EPCI"),
    ("cias", "CIAS"),
    ("syndicat", "Syndicat"),
    ("etablissement", "Établissement public"),
    ("association", "Association"),
    ("autre", "Autre"),
]

LEGAL_BASES = [
    ("consentement", "Consentement (art. 6.1.a)"),
    ("contrat", "Contrat (art. 6.1.b)"),
    ("obligation-legale", "Obligation légale (art. 6.1.c)"),
    ("interets-vitaux", "Sauvegarde des intérêts vitaux (art. 6.1.d)"),
    ("mission-publique", "Mission d'intérêt public (art. 6.1.e)"),
    ("interet-legitime", "Intérêt légitime (art. 6.1.f)"),
]
ROLES = [("responsable", "Responsable de traitement"), ("sous-traitant", "Sous-traitant"), ("conjoint", "Responsable conjoint")]
MEASURES = [
    ("controle-acces", "Contrôle d'accès des utilisateurs"),
    ("tracabilite", "Traçabilité des accès et des actions"),
    ("sauvegardes", "Sauvegardes"),
    ("chiffrement", "Chiffrement"),
    ("controle-sous-traitants", "Contrôle des sous-traitants"),
    ("mises-a-jour", "Mises à jour des logiciels"),
    ("sensibilisation", "Sensibilisation des agents"),
    ("securite-physique", "Sécurité des locaux"),
]
# The CNIL's criteria (after the EDPB guidelines WP248 rev.01): meeting two of them calls for a DPIA.
DPIA_CRITERIA = [
    ("evaluation", "Évaluation ou notation (profilage)"),
    ("decision-automatique", "Décision automatique avec effet juridique"),
    ("surveillance", "Surveillance systématique"),
    ("donnees-sensibles", "Données sensibles ou hautement personnelles"),
    ("grande-echelle", "Traitement à grande échelle"),
    ("croisement", "Croisement ou combinaison d'ensembles de données"),
    ("personnes-vulnerables", "Personnes vulnérables (enfants, patients, personnes âgées, demandeurs d'aide)"),
    ("usage-innovant", "Usage innovant ou nouvelle technologie"),
    ("exclusion", "Traitement qui empêche d'exercer un droit ou de bénéficier d'un service"),
]
DPIA_THRESHOLD = 2
DPIA_STATES = [("a-faire", "À faire"), ("en-cours", "En cours"), ("faite", "Faite"), ("non-requise", "Non requise")]
OUTCOMES = [("destruction", "Destruction"), ("archives", "Versement aux archives"), ("anonymisation", "Anonymisation")]
# Art. 28.3 a-h: what a processing contract must stipulate.
CLAUSES = [
    ("instructions", "Traite les données uniquement sur instruction documentée (a)"),
    ("confidentialite", "Personnes autorisées tenues à la confidentialité (b)"),
    ("securite", "Mesures de sécurité de l'article 32 (c)"),
    ("sous-traitance-ulterieure", "Sous-traitance ultérieure autorisée par écrit (d)"),
    ("aide-droits", "Aide à répondre aux demandes d'exercice des droits (e)"),
    ("aide-obligations", "Aide aux obligations des articles 32 à 36 (f)"),
    ("fin-contrat", "Suppression ou restitution des données en fin de contrat (g)"),
    ("audit", "Informations et audits (h)"),
]


class Collectivite(models.Model):
    """The RGPD file of a collectivité (an Organisation of type collectivité, served by a
    mutualisation structure): its category, its DPO, whether its register is public."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="rgpd")
    categorie = models.CharField(max_length=16, choices=CATEGORIES)
    insee = models.CharField(max_length=9, blank=True, help_text="Code INSEE de la commune (ou SIREN de l'EPCI) rattaché au référentiel")
    departement = models.CharField(max_length=3, blank=True, help_text="Pour ses jours fériés (57, 67, 68, outre-mer)")
    dpo_nom = models.CharField(max_length=200, blank=True, help_text="Vide : le DPO mutualisé de la structure")
    dpo_designation_cnil = models.CharField(max_length=40, blank=True, help_text="Numéro de désignation du DPO auprès de la CNIL")
    # Art. 30.1.a: the controller's name and contact details, and the DPO's.
    responsable = models.CharField(max_length=200, blank=True, help_text="Le responsable de traitement (ex. « Le maire, Claire Martin »)")
    contact = models.TextField(blank=True, help_text="Adresse, téléphone et courriel du responsable de traitement")
    dpo_contact = models.TextField(blank=True, help_text="Coordonnées du DPO (courriel, téléphone, adresse)")
    registre_public = models.BooleanField(default=False)

    class Meta:
        ordering = ["organisation__nom"]

    def __str__(self) -> str:
        return self.organisation.nom


class Owned(models.Model):
    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE)

    class Meta:
        abstract = True

    @property
    def organisation_id(self) -> int:  # what the policy judges
        return self.collectivite.organisation_id


class Activite(Owned):
    """One processing activity of the register (art. 30.1, the fields of the CNIL's model)."""

    BROUILLON, TERMINE, VERIFIE = "brouillon", "termine", "verifie"
    STATES = [(BROUILLON, "Brouillon"), (TERMINE, "Terminé"), (VERIFIE, "Vérifié par le DPO")]

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="activites")
    nom = models.CharField(max_length=200)
    finalites = models.TextField()
    role = models.CharField(max_length=16, choices=ROLES, default="responsable")
    base_legale = models.CharField(max_length=20, choices=LEGAL_BASES)
    justification = models.TextField(blank=True, help_text="Texte qui fonde la base légale")
    personnes = models.JSONField(default=list, help_text="Catégories de personnes concernées")
    destinataires = models.JSONField(default=list, help_text="[{nom, type: interne|externe|sous-traitant}]")
    transferts = models.TextField(blank=True, help_text="Transferts hors de l'Union européenne")
    garanties = models.TextField(blank=True, help_text="Garanties des transferts")
    mesures = models.JSONField(default=list, help_text="Clés de MEASURES")
    logiciels = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Source des données")
    criteres_aipd = models.JSONField(default=list, help_text="Clés de DPIA_CRITERIA")
    aipd_requise = models.BooleanField(default=False, help_text="Calculé : deux critères de la CNIL au moins (services.dpia_required)")
    aipd_statut = models.CharField(max_length=12, choices=DPIA_STATES, default="non-requise")
    statut = models.CharField(max_length=10, choices=STATES, default=BROUILLON)
    recommandations = models.TextField(blank=True, help_text="Recommandations du DPO")
    verifie_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verifie_le = models.DateTimeField(null=True, blank=True)
    modele = models.CharField(max_length=40, blank=True, help_text="Le modèle de la bibliothèque dont elle est la copie")
    responsables_conjoints = models.TextField(blank=True, help_text="Les responsables conjoints et leurs coordonnées (art. 26 et 30.1.a)")
    # Art. 30.2: an activity the collectivité carries out as processor (a syndicat for its
    # members): the controllers on whose behalf it acts, with their contact details.
    pour_le_compte_de = models.TextField(
        blank=True, help_text="Sous-traitance : les responsables de traitement pour le compte desquels la collectivité agit (art. 30.2.a)"
    )
    cree_le = models.DateTimeField(default=timezone.now, editable=False)
    modifie_le = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["nom", "id"]
        constraints = [models.UniqueConstraint(fields=["collectivite", "nom"], name="activite_collectivite_nom")]

    def __str__(self) -> str:
        return self.nom


class Donnee(models.Model):
    """A category of data of an activity, with its own retention."""

    activite = models.ForeignKey(Activite, on_delete=models.CASCADE, related_name="donnees")
    categorie = models.CharField(max_length=200)
    sensible = models.BooleanField(default=False, help_text="Donnée sensible (art. 9) ou d'infraction (art. 10)")
    nir = models.BooleanField(default=False, help_text="Numéro d'inscription au répertoire (numéro de sécurité sociale)")
    duree = models.CharField(max_length=200, help_text="Durée de conservation ou critère")
    sort_final = models.CharField(max_length=16, choices=OUTCOMES, default="destruction")

    class Meta:
        ordering = ["id"]


class SousTraitant(Owned):
    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="sous_traitants")
    nom = models.CharField(max_length=200)
    prestation = models.CharField(max_length=300)
    clauses = models.JSONField(default=list, help_text="Clés de CLAUSES présentes au contrat")
    hors_ue = models.BooleanField(default=False)
    adresse = models.TextField(blank=True, help_text="Adresse du sous-traitant")
    dpo_contact = models.TextField(blank=True, help_text="Son délégué à la protection des données : nom, fonction, courriel, téléphone")
    tient_registre = models.BooleanField(null=True, blank=True, help_text="Tient son propre registre des traitements (art. 30.2)")
    notes = models.TextField(blank=True, help_text="Autres informations (référent, vérifications)")
    activites = models.ManyToManyField("Activite", blank=True, related_name="sous_traitants_lies", help_text="Les activités du registre qu'il sert")

    class Meta:
        ordering = ["nom"]

    @property
    def clauses_manquantes(self) -> list[str]:
        return [label for key, label in CLAUSES if key not in self.clauses]


class Demande(Owned):
    """A request to exercise a right (art. 15-22), with its legal deadline (echeances)."""

    RIGHTS = [
        ("acces", "Accès (art. 15)"),
        ("rectification", "Rectification (art. 16)"),
        ("effacement", "Effacement (art. 17)"),
        ("limitation", "Limitation (art. 18)"),
        ("portabilite", "Portabilité (art. 20)"),
        ("opposition", "Opposition (art. 21)"),
        ("retrait-consentement", "Retrait du consentement (art. 7.3)"),
    ]
    EN_COURS, REPONDUE = "en-cours", "repondue"
    # Not acted on, the reasons given to the person with the possibility of a complaint to the
    # CNIL and of a judicial remedy (art. 12.4): refused (a right that does not apply, an
    # exception of the law), inadmissible (the requester cannot be identified, art. 11.2 and
    # 12.6), manifestly unfounded or excessive (art. 12.5, repetitive in particular).
    REFUSEE, IRRECEVABLE, INFONDEE = "refusee", "irrecevable", "infondee"
    STATES = [
        (EN_COURS, "En cours"),
        (REPONDUE, "Répondue"),
        (REFUSEE, "Refusée"),
        (IRRECEVABLE, "Irrecevable"),
        (INFONDEE, "Manifestement infondée ou excessive"),
    ]
    CLOSED = (REPONDUE, REFUSEE, IRRECEVABLE, INFONDEE)

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="demandes")
    droit = models.CharField(max_length=24, choices=RIGHTS)
    recue_le = models.DateTimeField()
    reference = models.CharField(max_length=60, blank=True, help_text="Référence interne (pas de nom : la demande reste dans le dossier du service)")
    identite_verifiee = models.BooleanField(default=False)
    prolongation_informee_le = models.DateTimeField(null=True, blank=True, help_text="Personne informée de la prolongation (dans le premier mois)")
    statut = models.CharField(max_length=12, choices=STATES, default=EN_COURS)
    repondue_le = models.DateTimeField(null=True, blank=True)  # the answer sent, whatever it says
    motif = models.TextField(blank=True, help_text="Les raisons d'un refus, données à la personne (art. 12.4)")

    class Meta:
        ordering = ["-recue_le"]

    def echeance(self) -> echeances.Deadline:
        return echeances.request_deadline(self.recue_le, self.prolongation_informee_le is not None, self.collectivite.departement)


class Violation(Owned):
    """A personal data breach (art. 33.5: every breach is recorded)."""

    NATURES = [("confidentialite", "Confidentialité"), ("integrite", "Intégrité"), ("disponibilite", "Disponibilité")]
    RISKS = [("aucun", "Risque peu probable (pas de notification)"), ("risque", "Risque"), ("eleve", "Risque élevé")]

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="violations")
    connue_le = models.DateTimeField(help_text="Prise de connaissance")
    natures = models.JSONField(default=list)
    cause = models.TextField()
    donnees = models.TextField(help_text="Données concernées")
    personnes = models.PositiveIntegerField(help_text="Nombre approximatif de personnes concernées")
    risque = models.CharField(max_length=8, choices=RISKS)
    notifiee_le = models.DateTimeField(null=True, blank=True, help_text="Notification à la CNIL")
    personnes_informees_le = models.DateTimeField(null=True, blank=True, help_text="Communication aux personnes (art. 34)")
    mesures = models.TextField(blank=True, help_text="Mesures prises ou envisagées")
    # Art. 33.3: what a notification describes, beyond the above.
    categories_personnes = models.TextField(blank=True, help_text="Catégories de personnes concernées")
    enregistrements = models.PositiveIntegerField(null=True, blank=True, help_text="Nombre approximatif d'enregistrements concernés")
    consequences = models.TextField(blank=True, help_text="Conséquences probables de la violation")
    motif_retard = models.TextField(blank=True, help_text="Motifs du retard, pour une notification après 72 heures (art. 33.1)")
    activites = models.ManyToManyField("Activite", blank=True, related_name="violations", help_text="Les traitements concernés")
    doublon_de = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Une violation déjà enregistrée qui semble la même"
    )

    class Meta:
        ordering = ["-connue_le"]

    def echeance(self) -> echeances.Deadline:
        return echeances.breach_deadline(self.connue_le, self.collectivite.departement)

    @property
    def natures_libelles(self) -> list[str]:
        """The natures as people read them (« Confidentialité », not « confidentialite »)."""
        labels = dict(self.NATURES)
        return [labels.get(n, n) for n in self.natures]

    @property
    def notification_requise(self) -> bool:
        return self.risque != "aucun"

    @property
    def communication_requise(self) -> bool:
        return self.risque == "eleve"


class Action(Owned):
    PRIORITIES = [(1, "Haute"), (2, "Moyenne"), (3, "Basse")]
    STATES = [("a-faire", "À faire"), ("en-cours", "En cours"), ("faite", "Faite")]

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="actions")
    intitule = models.CharField(max_length=300)
    priorite = models.PositiveSmallIntegerField(choices=PRIORITIES, default=2)
    echeance = models.DateField()
    statut = models.CharField(max_length=10, choices=STATES, default="a-faire")

    class Meta:
        ordering = ["statut", "echeance", "priorite"]


class Trace(models.Model):
    """One change of a register's entry (an activity, its status, a request, a breach, a
    processor, an action, the controller and DPO): who, when, what, before and after. Only
    ever added; the DPO reads it on the collectivité's page. docs/rgpd.md, « Journal »."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="traces")
    quand = models.DateTimeField(auto_now_add=True, db_index=True)
    par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    objet = models.CharField(max_length=20)  # activite, demande, violation, sous-traitant, action, collectivite
    objet_id = models.PositiveIntegerField(null=True)
    libelle = models.CharField(max_length=300)
    action = models.CharField(max_length=100)
    avant = models.JSONField(null=True, blank=True)
    apres = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-quand", "-id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("le journal ne se modifie pas : on y ajoute")
        super().save(*args, **kwargs)

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field that changed."""
        before, after = self.avant or {}, self.apres or {}
        return [(k, before.get(k), after.get(k)) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]


class Aipd(Owned):
    """A data-protection impact analysis (AIPD), the CNIL's way: the same parts as the CNIL's
    PIA tool (context, fundamental principles, measures, the three risks, validation), kept so
    that its JSON export opens here and goes back with nothing lost (apps/rgpd/aipd.py;
    docs/rgpd.md, « Analyses d'impact »). Answers, measures, evaluations and comments carry
    the tool's references (`reference_to`)."""

    STATUTS = [(0, "en cours"), (1, "refusée"), (2, "validée"), (3, "validée avec signature"), (4, "archivée")]
    AVIS = [(None, "non renseigné"), (0, "défavorable"), (1, "favorable")]

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="analyses")
    activite = models.ForeignKey(Activite, null=True, blank=True, on_delete=models.SET_NULL, related_name="analyses")
    nom = models.CharField(max_length=200)
    categorie = models.CharField(max_length=200, blank=True)
    statut = models.PositiveSmallIntegerField(choices=STATUTS, default=0)
    auteur = models.CharField(max_length=200, blank=True)
    evaluateur = models.CharField(max_length=200, blank=True)
    validateur = models.CharField(max_length=200, blank=True)
    dpo_noms = models.CharField(max_length=300, blank=True)
    dpo_statut = models.PositiveSmallIntegerField(null=True, blank=True)  # 0 unfavourable, 1 favourable
    dpo_avis = models.TextField(blank=True)
    personnes_noms = models.CharField(max_length=300, blank=True)
    personnes_statut = models.PositiveSmallIntegerField(null=True, blank=True)
    personnes_avis = models.TextField(blank=True)
    personnes_consultees = models.BooleanField(null=True, blank=True)  # the persons' opinion sought
    personnes_consultation = models.TextField(blank=True)  # why not, when not sought
    motif_refus = models.TextField(blank=True)
    ajustements = models.TextField(blank=True)
    modele = models.CharField(max_length=40, blank=True)  # the packaged model it was created from
    cree_le = models.DateTimeField(default=timezone.now)
    modifie_le = models.DateTimeField(default=timezone.now)
    complements = models.JSONField(default=dict, blank=True)  # the tool's fields Terrinum does not use, given back on export

    class Meta:
        ordering = ["-modifie_le", "-id"]


class AipdReponse(models.Model):
    """An answer to one of the method's questions (`reference`: 111 … 346): text, a gauge
    (severity or likelihood, 1-4) or a list (impacts, threats, sources, measures)."""

    aipd = models.ForeignKey(Aipd, on_delete=models.CASCADE, related_name="reponses")
    reference = models.PositiveSmallIntegerField()
    texte = models.TextField(blank=True)
    jauge = models.PositiveSmallIntegerField(null=True, blank=True)
    liste = models.JSONField(default=list, blank=True)
    cree_le = models.DateTimeField(null=True, blank=True)
    modifie_le = models.DateTimeField(null=True, blank=True)
    complements = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["reference"]
        constraints = [models.UniqueConstraint(fields=["aipd", "reference"], name="aipd_reponse_unique")]


class AipdMesure(models.Model):
    """A measure, existing or planned (section 3.1 of the method)."""

    aipd = models.ForeignKey(Aipd, on_delete=models.CASCADE, related_name="mesures")
    titre = models.CharField(max_length=300)
    contenu = models.TextField(blank=True)
    indication = models.CharField(max_length=200, blank=True)  # the tool's placeholder key
    cree_le = models.DateTimeField(null=True, blank=True)
    modifie_le = models.DateTimeField(null=True, blank=True)
    complements = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]


class AipdEvaluation(models.Model):
    """The evaluation of a part (« 1.1 », « 2.1.211 », « 3.2 »…) or of a measure (« 3.1 » and
    the measure): pending, to correct, improvable, acceptable; its comment, its action plan
    (who, by when), and for a risk its gauges re-evaluated after the plan."""

    STATUTS = [(0, "en attente"), (1, "à corriger"), (2, "améliorable"), (3, "acceptable")]

    aipd = models.ForeignKey(Aipd, on_delete=models.CASCADE, related_name="evaluations")
    reference = models.CharField(max_length=20)
    mesure = models.ForeignKey(AipdMesure, null=True, blank=True, on_delete=models.CASCADE, related_name="evaluations")
    statut = models.PositiveSmallIntegerField(choices=STATUTS, default=0)
    statut_global = models.PositiveSmallIntegerField(default=0)  # 0 none, 1 started, 2 completed
    commentaire = models.TextField(blank=True)
    plan_action = models.TextField(blank=True)
    evaluee_le = models.DateTimeField(null=True, blank=True)
    jauge_x = models.PositiveSmallIntegerField(null=True, blank=True)  # severity after the plan
    jauge_y = models.PositiveSmallIntegerField(null=True, blank=True)  # likelihood after the plan
    mise_en_oeuvre_le = models.DateTimeField(null=True, blank=True)
    responsable = models.CharField(max_length=200, blank=True)
    cree_le = models.DateTimeField(null=True, blank=True)
    modifie_le = models.DateTimeField(null=True, blank=True)
    complements = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["reference", "mesure_id", "id"]


class AipdCommentaire(models.Model):
    """A comment left on a question or a measure."""

    aipd = models.ForeignKey(Aipd, on_delete=models.CASCADE, related_name="commentaires")
    reference = models.JSONField(null=True, blank=True)  # as the tool gave it (a number or a text)
    mesure = models.ForeignKey(AipdMesure, null=True, blank=True, on_delete=models.CASCADE, related_name="commentaires")
    description = models.TextField(blank=True)
    cree_le = models.DateTimeField(null=True, blank=True)
    modifie_le = models.DateTimeField(null=True, blank=True)
    complements = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]


class Referentiel(models.Model):
    """A maturity questionnaire: domains of questions (apps/rgpd/maturite.py). Packaged
    (no structure) or a structure's own; a new text is a new version, never an edit."""

    structure = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="referentiels_maturite")
    nom = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=500, blank=True)
    domaines = models.JSONField()  # [{cle, titre, questions: [{cle, texte}]}]
    cree_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["structure", "nom", "version"], name="referentiel_version")]

    def __str__(self) -> str:
        return f"{self.nom} (version {self.version})"


class EvaluationMaturite(models.Model):
    """A collectivité's answers to a référentiel on a day: each question 0 to 3; a domain's
    score is its mean over 3, out of 100; the overall score the mean of the domains'."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="maturites")
    referentiel = models.ForeignKey(Referentiel, on_delete=models.PROTECT, related_name="evaluations")
    reponses = models.JSONField()  # {"domaine.question": 0..3}
    faite_le = models.DateTimeField()
    par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-faite_le", "-id"]

    def par_domaine(self) -> list[tuple[str, int]]:
        out = []
        for d in self.referentiel.domaines:
            levels = [self.reponses.get(f"{d['cle']}.{q['cle']}", 0) for q in d["questions"]]
            out.append((d["titre"], round(100 * sum(levels) / (3 * len(levels)))))
        return out

    def score(self) -> int:
        domains = self.par_domaine()
        return round(sum(s for _, s in domains) / len(domains)) if domains else 0


class ModeleActivite(models.Model):
    """A structure's own model activity, written by its DPO from an activity of a register:
    its text as a model (the fields of the register and the data categories). A new text under
    the same name is a new version; copies say which version they came from. The packaged
    models (apps/rgpd/modeles.py) are Terrinum's and stay as they are."""

    structure = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="modeles_activites")
    nom = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    contenu = models.JSONField()
    cree_le = models.DateTimeField(auto_now_add=True)
    cree_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["structure", "nom", "version"], name="modele_activite_version")]
        ordering = ["structure", "nom", "-version"]

    @property
    def cle(self) -> str:
        return f"s{self.pk}"


class Preuve(Owned):
    """A document proving compliance (a contract with its clauses, a training attendance
    sheet, a charter, a procedure…), attached to the collectivité, one of its activities or an
    action of its plan; its date; checked by the DPO. Kept in the database with its hash."""

    NATURES = [
        ("contrat", "contrat ou avenant"),
        ("formation", "attestation de formation ou de sensibilisation"),
        ("charte", "charte ou note de service"),
        ("procedure", "procédure"),
        ("information", "mention d'information, affiche"),
        ("securite", "mesure de sécurité (rapport, audit, test de restauration)"),
        ("autre", "autre pièce"),
    ]

    collectivite = models.ForeignKey(Collectivite, on_delete=models.CASCADE, related_name="preuves")
    activite = models.ForeignKey(Activite, null=True, blank=True, on_delete=models.SET_NULL, related_name="preuves")
    action = models.ForeignKey("Action", null=True, blank=True, on_delete=models.SET_NULL, related_name="preuves")
    nature = models.CharField(max_length=12, choices=NATURES)
    nom = models.CharField(max_length=200)
    date = models.DateField(help_text="Date de la pièce")
    type_mime = models.CharField(max_length=80)
    taille = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    contenu = models.BinaryField()
    depose_le = models.DateTimeField(auto_now_add=True)
    depose_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verifiee_le = models.DateTimeField(null=True, blank=True)
    verifiee_par = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-date", "-id"]
