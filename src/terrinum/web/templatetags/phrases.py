"""Template filters for what the pages say to people."""

from django import template

register = template.Library()


@register.filter
def phrase(text) -> str:
    """A message as a sentence: its first letter upper case (services word their refusals in
    lower case, to be composed), unless it begins with a file name (« registre.json : … »)."""
    text = str(text or "")
    first = text.split(" ", 1)[0]
    if not text or "." in first.rstrip(".") or "/" in first:
        return text
    return text[0].upper() + text[1:]
