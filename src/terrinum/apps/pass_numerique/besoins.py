"""The needs assessment ("Faire le point"): twelve plain questions, a profile, the kinds of
help of the national standard that fit, and a suggested number of vouchers.

Sources of the questions: the five areas of the European framework DigComp 2.2 (information,
communication, content, safety, problem solving; JRC, 2022) and the autonomy in online
administrative procedures measured by INSEE's survey on ICT use (illectronisme). The
thresholds and the number of vouchers are Terrinum's own rules, written here and in
docs/pass-numerique.md; they are not an official scale."""

from __future__ import annotations

from dataclasses import dataclass

OUI, AIDE, NON = "oui", "aide", "non"
ANSWERS = ((OUI, "Oui, seul·e"), (AIDE, "Avec de l'aide"), (NON, "Non"))
POINTS = {OUI: 2, AIDE: 1, NON: 0}

# (key, question, DigComp 2.2 area or "démarches", the service of the national standard it points to)
QUESTIONS = (
    (
        "appareil",
        "Avez-vous un ordinateur, une tablette ou un smartphone que vous pouvez utiliser chez vous ?",
        "accès",
        "Accès internet et matériel informatique",
    ),
    ("connexion", "Avez-vous une connexion à internet chez vous (box ou forfait mobile) ?", "accès", "Accès internet et matériel informatique"),
    (
        "chercher",
        "Savez-vous chercher une information sur internet (un horaire, une adresse) ?",
        "1. information",
        "Maîtrise des outils numériques du quotidien",
    ),
    ("courriel", "Savez-vous envoyer un courriel ?", "2. communication", "Maîtrise des outils numériques du quotidien"),
    ("piece_jointe", "Savez-vous envoyer une pièce jointe (un document, une photo) ?", "2. communication", "Maîtrise des outils numériques du quotidien"),
    ("video", "Savez-vous faire un appel vidéo avec un proche ?", "2. communication", "Maîtrise des outils numériques du quotidien"),
    ("formulaire", "Savez-vous remplir un formulaire en ligne et l'enregistrer ?", "3. contenus", "Maîtrise des outils numériques du quotidien"),
    ("application", "Savez-vous installer une application sur votre téléphone ?", "5. résolution de problèmes", "Maîtrise des outils numériques du quotidien"),
    ("arnaque", "Savez-vous reconnaître un message frauduleux (faux site, faux SMS) ?", "4. sécurité", "Utilisation sécurisée du numérique"),
    ("mot_de_passe", "Savez-vous créer un mot de passe et le retrouver quand il le faut ?", "4. sécurité", "Utilisation sécurisée du numérique"),
    (
        "franceconnect",
        "Savez-vous vous connecter à un service public en ligne (impots.gouv, Ameli, CAF), par exemple avec FranceConnect ?",
        "démarches",
        "Aide aux démarches administratives",
    ),
    ("demarches", "Faites-vous vos démarches administratives en ligne sans aide ?", "démarches", "Aide aux démarches administratives"),
)
KEYS = tuple(q[0] for q in QUESTIONS)

# Profiles by total points (0 to 24), and the vouchers suggested (one voucher ≈ one session).
PROFILES = (
    ("premiers-pas", "Premiers pas", 0, 8, 10, "un accompagnement suivi, séance après séance"),
    ("a-consolider", "Usages à consolider", 9, 17, 5, "quelques séances sur ce qui bloque"),
    ("autonome", "Autonome sur l'essentiel", 18, 24, 0, "une aide ponctuelle, si un besoin précis se présente"),
)
PROFILE_LABELS = {key: label for key, label, *_ in PROFILES}


@dataclass(frozen=True)
class Result:
    profil: str
    libelle: str
    points: int
    cheques: int
    accompagnement: str
    services: tuple[str, ...]  # values of the national standard, most needed first


def validate(answers: dict) -> dict[str, str]:
    """The answers, one per question with an allowed value; ValueError naming what is wrong."""
    missing = [k for k in KEYS if k not in answers]
    if missing:
        raise ValueError(f"{len(missing)} question(s) sans réponse")
    wrong = [k for k in KEYS if answers[k] not in POINTS]
    if wrong:
        raise ValueError(f"réponse impossible à : {', '.join(wrong)}")
    return {k: answers[k] for k in KEYS}


def assess(answers: dict) -> Result:
    """The profile, the help that fits (a service is proposed when its questions lose at least
    half of their points, or when a question of access is answered "non"), and the vouchers."""
    answers = validate(answers)
    points = sum(POINTS[answers[k]] for k in KEYS)
    key, label, _, _, vouchers, help_ = next(p for p in PROFILES if p[2] <= points <= p[3])
    by_service: dict[str, list[int]] = {}
    for k, _, _area, service in QUESTIONS:
        got = by_service.setdefault(service, [0, 0])
        got[0] += POINTS[answers[k]]
        got[1] += 2
    needed = [(got / out_of, service) for service, (got, out_of) in by_service.items() if got <= out_of / 2]
    if answers["appareil"] == NON or answers["connexion"] == NON:
        needed.append((0.0, "Accès internet et matériel informatique"))
    if answers["appareil"] == NON:
        needed.append((0.0, "Acquisition de matériel informatique à prix solidaire"))
    services = tuple(dict.fromkeys(service for _, service in sorted(needed)))
    return Result(key, label, points, vouchers if services else 0, help_, services)
