"""Search keys for territory names: case-, accent-, hyphen- and apostrophe-insensitive."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Common abbreviations people type for saint/sainte.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}


# Leading articles of official names ("La Souterraine", "Le Havre", "Les Mureaux",
# "L'Haÿ-les-Roses", "La Réunion"): a search matches with or without them.
_ARTICLES = {"le", "la", "les", "l"}


def search_key(text: str) -> str:
    """The search key of a territory name or query: `normalize`, less a leading article.

    "La Souterraine" and "Souterraine" both give "souterraine"; "L'Haÿ-les-Roses" gives
    "hay les roses"; "Saint-Maurice-la-Souterraine" keeps its inner article.
    """
    words = normalize(text).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def normalize(text: str) -> str:
    """Return the search key of a name: lower case, no accents, words separated by one space.

    "Signy-l'Abbaye", "signy l abbaye" and "SIGNY L'ABBAYE" all give "signy l abbaye";
    "St-Denis" gives "saint denis".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.replace("œ", "oe").replace("æ", "ae")
    words = _NON_ALNUM.sub(" ", ascii_text).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


# « De » and the article, by the COG's type of name (TNCC) of a name given without its article.
CHARNIERES = {0: "de ", 1: "d'", 2: "du ", 3: "de la ", 4: "des ", 5: "de l'", 6: "des ", 7: "de las ", 8: "de los "}


def de(nom: str, niveau: str = "commune", type_nom: int | None = None) -> str:
    """« de » and a territory's name as French says it (Territory.de_nom). Communes carry
    their article in their name; départements and régions come with their type of name."""
    if niveau == "pays":
        return f"de la {nom}"
    if type_nom in CHARNIERES:
        return CHARNIERES[type_nom] + nom
    for article, contracted in (("Le ", "du "), ("Les ", "des "), ("La ", "de la "), ("L'", "de l'"), ("L’", "de l’")):
        if nom.startswith(article):
            return contracted + nom[len(article) :]
    if niveau in ("commune", "arrondissement") and nom[:1].upper() in "AEIOUYÉÈÊÂÎÔH" and not nom.startswith(("Hu", "Ha", "He", "Ho", "Hy")):
        return f"d'{nom}"
    return f"de {nom}"
