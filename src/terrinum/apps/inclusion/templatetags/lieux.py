"""Template filters of the registry of places."""

from django import template

from terrinum.apps.inclusion.horaires import in_french

register = template.Library()


@register.filter
def horaires(text: str | None) -> str:
    """Opening hours in French, or as written when they are not in the common forms."""
    return in_french(text) or (text or "")
