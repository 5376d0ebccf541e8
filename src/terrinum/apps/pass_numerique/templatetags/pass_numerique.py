from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def euros(centimes) -> str:
    """An amount in centimes, in euros as people read it (1 234,50 €)."""
    if centimes is None:
        return "—"
    return f"{number_format(centimes / 100, 2, use_l10n=True, force_grouping=True)}\u00a0€"


@register.filter
def code_cheque(code: str) -> str:
    from terrinum.apps.pass_numerique.codes import display

    return display(code)


@register.filter
def cellule(value) -> str:
    """A report's cell as people read it: integers grouped (1 234), amounts with two decimals
    (1 234,50), nothing as « — »."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return number_format(value, 0 if isinstance(value, int) else 2, use_l10n=True, force_grouping=True)


@register.filter
def est_nombre(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
