"""Search keys for territory names: case-, accent-, hyphen- and apostrophe-insensitive."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Common abbreviations people type for saint/sainte.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}


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
