"""The library of model activities for communes, written from CNIL guidance and the texts
each one cites (`sources`). A model is copied into a collectivité's register (services.
duplicate), where the copy is the collectivité's own, to be adapted and completed.

General source: CNIL, « Guide de sensibilisation au RGPD pour les collectivités
territoriales » (octobre 2019), and the CNIL's model register (« registre des activités de
traitement », modèle de la CNIL)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Data:
    categorie: str
    duree: str
    sort_final: str = "destruction"
    sensible: bool = False
    nir: bool = False


@dataclass(frozen=True)
class Model:
    key: str
    nom: str
    finalites: str
    base_legale: str
    justification: str
    personnes: list[str]
    donnees: list[Data]
    destinataires: list[dict]
    sources: str
    mesures: list[str] = field(default_factory=lambda: ["controle-acces", "sauvegardes", "mises-a-jour"])
    criteres_aipd: list[str] = field(default_factory=list)
    # The collectivités a model is for (Collectivite.CATEGORIES); empty: any. The social-action
    # model is the CCAS's (or CIAS's): a commune's social aid is instructed by its CCAS.
    categories: tuple[str, ...] = ()
    # Where the data come from, for a model written from a register (the packaged ones: ORIGINS).
    origine: str = ""


def _agents(*extra):
    return [{"nom": "Agents habilités du service", "type": "interne"}, *extra]


MODELS = [
    Model(
        "etat-civil",
        "État civil",
        "Établir, conserver et délivrer les actes de naissance, de mariage, de décès et de reconnaissance ; mentions marginales.",
        "obligation-legale",
        "Code civil, art. 34 et suivants ; décret n° 2017-890 relatif à l'état civil.",
        ["Personnes dont l'acte est établi", "Déclarants et témoins"],
        [Data("Identité, filiation, dates et lieux de naissance, de mariage, de décès", "Registres conservés sans limite de durée", "archives")],
        _agents({"nom": "Procureur de la République, INSEE (bulletins statistiques)", "type": "externe"}),
        "Code civil art. 34 s. ; Code du patrimoine art. L212-1 et L213-2 (registres d'état civil, archives publiques).",
    ),
    Model(
        "listes-electorales",
        "Listes électorales",
        "Inscrire et radier les électeurs, tenir les listes électorales et les listes d'émargement.",
        "obligation-legale",
        "Code électoral, art. L11 et suivants ; répertoire électoral unique tenu par l'INSEE.",
        ["Électeurs de la commune"],
        [
            Data(
                "Identité, date et lieu de naissance, adresse, bureau de vote",
                "Tant que l'électeur est inscrit ; listes d'émargement : délai de recours",
                "archives",
            )
        ],
        _agents({"nom": "INSEE (répertoire électoral unique), candidats et partis qui en font la demande", "type": "externe"}),
        "Code électoral art. L11, L16, L37 (communication des listes).",
    ),
    Model(
        "cantine-periscolaire",
        "Restauration scolaire et accueil périscolaire",
        "Inscrire les enfants, organiser l'accueil et les repas, facturer les familles selon leur quotient familial.",
        "mission-publique",
        "Service public facultatif créé par délibération du conseil municipal.",
        ["Enfants inscrits", "Responsables légaux"],
        [
            Data("Identité des enfants et des responsables, coordonnées", "Durée de l'inscription, puis 4 ans pour le recouvrement"),
            Data("Quotient familial, revenus", "Durée de l'inscription, puis 4 ans (recouvrement des créances, CGCT art. L1617-5)"),
            Data("Allergies et projet d'accueil individualisé", "Durée de l'inscription", sensible=True),
        ],
        _agents({"nom": "Trésorerie (facturation)", "type": "externe"}, {"nom": "Éditeur du logiciel de facturation", "type": "sous-traitant"}),
        "CNIL, guide des collectivités (2019), fiche « écoles et périscolaire » ; CGCT art. L1617-5.",
        criteres_aipd=["personnes-vulnerables"],
    ),
    Model(
        "urbanisme",
        "Autorisations d'urbanisme",
        "Instruire les demandes de permis et les déclarations préalables, délivrer les certificats d'urbanisme.",
        "obligation-legale",
        "Code de l'urbanisme, art. L421-1 et suivants, R423-1 et suivants.",
        ["Demandeurs", "Propriétaires", "Architectes"],
        [Data("Identité, coordonnées, références cadastrales, plans du projet", "Dossiers conservés sans limite de durée (archives)", "archives")],
        _agents({"nom": "Service instructeur (EPCI ou État), préfecture", "type": "externe"}),
        "Code de l'urbanisme ; instruction DAF/DPACI/RES/2009/018 (tri des archives communales).",
    ),
    Model(
        "videoprotection",
        "Vidéoprotection de la voie publique",
        "Prévenir les atteintes aux personnes et aux biens dans les lieux exposés ; réguler le trafic.",
        "mission-publique",
        "Code de la sécurité intérieure, art. L251-2 ; autorisation préfectorale. Quand les images sont exploitées par "
        "les autorités compétentes à des fins de prévention, de recherche ou de poursuite d'infractions, ce traitement "
        "relève aussi du titre III de la loi Informatique et Libertés (directive « police-justice » 2016/680), pas du seul RGPD.",
        ["Personnes passant dans le champ des caméras"],
        [Data("Images", "Un mois au plus (Code de la sécurité intérieure, art. L252-5)")],
        _agents({"nom": "Police municipale, gendarmerie ou police nationale (sur réquisition)", "type": "externe"}),
        "Code de la sécurité intérieure art. L251-2, L252-1, L252-5 ; CNIL, « La vidéoprotection sur la voie publique ».",
        mesures=["controle-acces", "tracabilite", "securite-physique", "mises-a-jour"],
        criteres_aipd=["surveillance", "grande-echelle"],
    ),
    Model(
        "rh-paie",
        "Ressources humaines et paie",
        "Gérer la carrière des agents, leur rémunération, les déclarations sociales.",
        "obligation-legale",
        "Code général de la fonction publique ; déclarations sociales (DSN).",
        ["Agents", "Candidats"],
        [
            Data("Identité, situation familiale, carrière, rémunération", "Durée de la carrière, puis archivage selon l'instruction de tri", "archives"),
            Data("Numéro de sécurité sociale", "Durée de la carrière", nir=True),
            Data("Arrêts de travail, aptitude", "Durée de la carrière", sensible=True),
        ],
        _agents(
            {"nom": "URSSAF, caisses de retraite (CNRACL, IRCANTEC), trésorerie", "type": "externe"},
            {"nom": "Éditeur du logiciel de paie", "type": "sous-traitant"},
        ),
        "Code général de la fonction publique ; instruction DAF/DPACI/RES/2009/018.",
        criteres_aipd=["grande-echelle"],
    ),
    Model(
        "action-sociale",
        "Action sociale (CCAS)",
        "Instruire les demandes d'aide sociale légale et facultative, accompagner les personnes, analyser les besoins sociaux.",
        "mission-publique",
        "Code de l'action sociale et des familles, art. L123-5 et R123-1.",
        ["Demandeurs d'aide et leur foyer"],
        [
            Data("Identité, situation familiale, ressources, logement", "Durée de l'accompagnement, puis 5 ans", "destruction"),
            Data("Situation de santé, handicap", "Durée de l'accompagnement", sensible=True),
            Data("Numéro de sécurité sociale (dossiers d'aide légale)", "Durée de l'instruction", nir=True),
        ],
        _agents({"nom": "Conseil départemental, organismes de sécurité sociale", "type": "externe"}),
        "CASF art. L123-5 ; CNIL, liste des traitements soumis à analyse d'impact (délibération n° 2018-327) : accompagnement social.",
        mesures=["controle-acces", "tracabilite", "sauvegardes", "chiffrement", "sensibilisation"],
        criteres_aipd=["personnes-vulnerables", "donnees-sensibles"],
        categories=("ccas", "cias"),
    ),
    Model(
        "cadastre-sig",
        "Cadastre et système d'information géographique",
        "Consulter la matrice cadastrale pour l'urbanisme, la fiscalité locale et la gestion du territoire.",
        "mission-publique",
        "Livre des procédures fiscales, art. L107 A et L135 B (communication des données cadastrales).",
        ["Propriétaires"],
        [Data("Identité et adresse des propriétaires, parcelles, locaux", "Millésime en cours ; les millésimes remplacés sont détruits")],
        _agents({"nom": "Prestataire du SIG", "type": "sous-traitant"}),
        "Livre des procédures fiscales art. L107 A, L135 B ; CNIL, fiches sur les données cadastrales (MAJIC).",
    ),
    Model(
        "communication",
        "Communication et lettre d'information",
        "Envoyer la lettre d'information et les alertes de la commune aux habitants inscrits.",
        "consentement",
        "Inscription volontaire ; désinscription à tout moment par un lien dans chaque envoi.",
        ["Abonnés"],
        [Data("Adresse électronique, numéro de téléphone (alertes)", "Jusqu'à la désinscription, ou 3 ans sans ouverture")],
        _agents({"nom": "Outil d'envoi de courriels", "type": "sous-traitant"}),
        "CNIL, référentiel relatif à la gestion des activités commerciales (durées) ; RGPD art. 7.",
    ),
    Model(
        "recensement",
        "Recensement de la population",
        "Préparer et réaliser l'enquête de recensement avec l'INSEE (agents recenseurs, suivi de la collecte).",
        "obligation-legale",
        "Loi n° 2002-276, titre V ; loi n° 51-711 (obligation et secret statistiques).",
        ["Habitants", "Agents recenseurs"],
        [Data("Adresses et suivi de la collecte (les questionnaires sont transmis à l'INSEE)", "Jusqu'à la fin de la collecte")],
        _agents({"nom": "INSEE", "type": "externe"}),
        "Loi n° 2002-276 art. 156 ; décret n° 2003-485 ; loi n° 51-711.",
    ),
    Model(
        "salles",
        "Location et prêt des salles municipales",
        "Réserver les salles, établir les conventions, facturer et encaisser les cautions.",
        "contrat",
        "Convention de mise à disposition signée avec l'emprunteur.",
        ["Particuliers et associations emprunteurs"],
        [Data("Identité, coordonnées, attestation d'assurance", "Durée de la réservation, puis 5 ans (Code civil, art. 2224)")],
        _agents({"nom": "Trésorerie", "type": "externe"}),
        "CNIL, guide des collectivités (2019) ; Code civil art. 2224.",
    ),
]

BY_KEY = {m.key: m for m in MODELS}


# Where each model's data comes from (the register's « Source des données »): the persons and
# bodies the data is collected from. The model's `sources` are the texts it rests on: they go
# into the legal basis' justification, not into this field.
ORIGINS = {
    "etat-civil": "Les déclarants ; les autres communes et l'INSEE (mentions marginales)",
    "listes-electorales": "Les électeurs ; le répertoire électoral unique (INSEE)",
    "cantine-periscolaire": "Les familles",
    "urbanisme": "Les pétitionnaires ; le cadastre (DGFiP)",
    "videoprotection": "Les caméras du dispositif",
    "rh-paie": "Les agents ; les organismes sociaux",
    "action-sociale": "Les demandeurs ; les organismes de sécurité sociale et partenaires",
    "cadastre-sig": "La DGFiP (fichiers fonciers)",
    "communication": "Les personnes qui s'inscrivent",
    "recensement": "Les habitants (questionnaires de l'INSEE)",
    "salles": "Les demandeurs (associations, particuliers)",
}


def justification_of(model: Model) -> str:
    """The legal basis' justification of a copy: the model's, then the texts it rests on."""
    return f"{model.justification} Références : {model.sources}"
