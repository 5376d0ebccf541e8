"""Models of impact analyses for the municipal processing that most often needs one (two of
the CNIL's criteria or more: systematic surveillance, vulnerable persons, sensitive data): a
first draft of the context, the principles, the measures and the risks' impacts, threats and
sources, for the DPO to adapt. Severity and likelihood are never pre-filled: they are the
collectivité's own estimate. Written for Terrinum from the texts they cite."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AnalysisModel:
    titre: str
    categorie: str
    reponses: dict[int, object]  # question reference -> text, or list of items for list questions
    mesures: list[tuple[str, str]] = field(default_factory=list)


MODELS: dict[str, AnalysisModel] = {
    "videoprotection": AnalysisModel(
        "Vidéoprotection de la voie publique",
        "Sécurité publique",
        {
            111: "Caméras filmant la voie publique et les abords de bâtiments communaux, pour prévenir les atteintes aux biens et aux personnes "
            "et aider à la constatation des infractions ; images enregistrées et visionnées au centre de supervision.",
            112: "Le maire, responsable de traitement ; l'installateur et le mainteneur, sous-traitants ; la police ou la gendarmerie, destinataires sur réquisition.",
            113: "Code de la sécurité intérieure (art. L. 251-1 et suivants) ; autorisation préfectorale après avis de la commission départementale ; "
            "loi Informatique et Libertés (Titre III quand les images servent à la recherche d'infractions).",
            121: "Images de personnes et de véhicules (plaques), date, heure et lieu ; journal des consultations et des extractions.",
            122: "Captation continue, enregistrement sur l'enregistreur du centre, effacement automatique à l'échéance ; extraction sur réquisition, tracée.",
            123: "Caméras, réseau de transport des flux, enregistreur, postes de visionnage du centre de supervision.",
            211: "Prévention des atteintes aux biens et aux personnes sur les lieux exposés, désignés par l'autorisation préfectorale.",
            212: "Mission d'intérêt public (art. 6.1.e du RGPD), dans le cadre fixé par le code de la sécurité intérieure.",
            213: "Champ des caméras limité à la voie publique ; masquage des fenêtres et entrées d'immeubles ; pas de son.",
            215: "Au plus trente jours (code de la sécurité intérieure), durée fixée par l'autorisation préfectorale.",
            221: "Panneaux à l'entrée des zones filmées ; information détaillée en mairie et sur le site de la commune.",
            223: "Accès aux images auprès du responsable désigné, dans la durée de conservation.",
            226: "Contrat de maintenance avec les clauses de l'article 28 du RGPD.",
            321: ["Atteinte à la vie privée", "Suivi des déplacements d'une personne", "Divulgation d'images"],
            322: ["Consultation des images par une personne non habilitée", "Extraction non tracée", "Intrusion sur le réseau des caméras"],
            323: ["Agent non habilité", "Prestataire de maintenance", "Attaquant extérieur"],
            331: ["Images altérées produites comme preuve"],
            332: ["Modification des enregistrements ou de l'horodatage"],
            333: ["Attaquant extérieur", "Erreur de manipulation"],
            341: ["Impossibilité de fournir les images sur réquisition"],
            342: ["Panne de l'enregistreur", "Effacement malveillant"],
            343: ["Panne matérielle", "Attaquant extérieur"],
        },
        [
            ("Habilitations nominatives", "Liste nominative des agents habilités à visionner et à extraire, arrêtée par le maire."),
            ("Journalisation", "Journal des consultations et extractions, conservé et contrôlé."),
            ("Effacement automatique", "Effacement des enregistrements à l'échéance de la durée autorisée."),
            ("Masquage", "Masquage dynamique des zones privées (fenêtres, entrées)."),
        ],
    ),
    "action-sociale": AnalysisModel(
        "Instruction des demandes d'aide sociale (CCAS)",
        "Action sociale",
        {
            111: "Instruction et suivi des demandes d'aide sociale légale et facultative, domiciliation, accompagnement des personnes.",
            112: "Le président du CCAS ou du CIAS, responsable de traitement ; l'éditeur du logiciel métier, sous-traitant ; le département et les organismes sociaux, destinataires.",
            113: "Code de l'action sociale et des familles ; analyse des besoins sociaux.",
            121: "Identité, situation familiale et financière, logement, santé quand l'aide l'exige, numéro de sécurité sociale pour les aides légales.",
            122: "Dépôt de la demande, instruction, commission, décision, notification, suivi, archivage.",
            123: "Logiciel métier, dossiers papier, messagerie, postes des agents.",
            211: "Attribuer et suivre les aides sociales ; elles ne servent à rien d'autre.",
            212: "Obligation légale (aide sociale légale) et mission d'intérêt public (aide facultative).",
            213: "Pièces demandées limitées à celles que le règlement d'aide sociale exige pour chaque aide.",
            215: "Durées des référentiels d'archives des CCAS, puis versement ou destruction.",
            221: "Mention d'information sur le formulaire de demande et à l'accueil.",
            226: "Contrat avec l'éditeur du logiciel comprenant les clauses de l'article 28.",
            321: ["Stigmatisation", "Perte de confiance envers le CCAS", "Divulgation de la situation de santé ou financière"],
            322: ["Consultation par un agent sans besoin d'en connaître", "Envoi d'un dossier au mauvais destinataire", "Vol d'un dossier papier"],
            323: ["Agent", "Entourage de la personne", "Attaquant extérieur"],
            331: ["Décision prise sur des données fausses"],
            332: ["Erreur de saisie", "Modification non autorisée du dossier"],
            333: ["Agent", "Erreur de manipulation"],
            341: ["Interruption des aides", "Dossier à reconstituer par la personne"],
            342: ["Panne du logiciel", "Perte de dossiers papier"],
            343: ["Panne matérielle", "Sinistre"],
        },
        [
            ("Profils d'accès", "Accès au dossier selon le besoin d'en connaître (instructeur, commission)."),
            ("Armoires fermées", "Dossiers papier sous clé ; bureaux d'accueil fermés pendant les entretiens."),
            ("Sauvegardes", "Sauvegardes quotidiennes, testées, hors des locaux."),
        ],
    ),
}
