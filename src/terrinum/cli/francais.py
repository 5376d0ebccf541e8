"""Typer's own words in French: panel titles, the help option, and the usage errors that
its bundled Click writes in English ("Invalid value for '--format'…").

Neither Typer nor its bundled Click offers translations (their messages are plain f-strings),
so this module sets Typer's documented display constants and translates the error messages
just before Typer prints them. `tests/test_cli.py` runs real wrong commands and checks the
French text, so a Typer upgrade that changes a message or a hook is seen at once.
"""

from __future__ import annotations

import inspect
import re

from typer import core as typer_core
from typer import rich_utils
from typer._click import core as click_core

HELP_OPTION = "Afficher cette aide et quitter."

# (pattern of Click's English message, French template); applied in order, first match wins.
_MESSAGES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"^Invalid value for (?P<hint>.+?): (?P<rest>.*)$", re.S), "Valeur invalide pour {hint} : {rest}"),
    (re.compile(r"^Invalid value: (?P<rest>.*)$", re.S), "Valeur invalide : {rest}"),
    (re.compile(r"^Missing argument (?P<name>.+?)\.(?P<rest>.*)$", re.S), "Argument manquant : {name}.{rest}"),
    (re.compile(r"^Missing option (?P<name>.+?)\.(?P<rest>.*)$", re.S), "Option obligatoire manquante : {name}.{rest}"),
    (re.compile(r"^Missing parameter: (?P<name>.+)$"), "Paramètre manquant : {name}"),
    (re.compile(r"^Missing command\.$"), "Commande manquante."),
    (re.compile(r"^No such option: (?P<name>\S+)(?P<rest>.*)$", re.S), "Option inconnue : {name}{rest}"),
    (re.compile(r"^No such command (?P<name>.+?)\.(?P<rest>.*)$", re.S), "Commande inconnue : {name}.{rest}"),
    (re.compile(r"^Got unexpected extra argument\(s\) \((?P<args>.*)\)$"), "Argument(s) en trop : {args}"),
    (re.compile(r"^Option (?P<name>.+?) requires an argument\.$"), "L'option {name} attend une valeur."),
    (re.compile(r"^Option (?P<name>.+?) requires (?P<n>\d+) arguments\.$"), "L'option {name} attend {n} valeurs."),
    (re.compile(r"^Option (?P<name>.+?) does not take a value\.$"), "L'option {name} ne prend pas de valeur."),
]
# Pieces inside a message (the reason given after "Invalid value for …:").
_PIECES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"Value error, "), ""),
    (re.compile(r"(?P<value>'[^']*') is not one of (?P<choices>.+?)\.(?=$|\s)"), "{value} n'est pas parmi {choices}."),
    (re.compile(r"(?P<value>'[^']*') is not a valid integer(?: range)?\."), "{value} n'est pas un nombre entier."),
    (re.compile(r"(?P<value>'[^']*') is not a valid float(?: range)?\."), "{value} n'est pas un nombre."),
    (re.compile(r"(?P<value>'[^']*') is not a valid boolean\."), "{value} n'est ni oui ni non."),
    (re.compile(r"(?P<value>\S+) is not in the range (?P<range>.+?)\."), "{value} est hors de l'intervalle {range}."),
    (re.compile(r"(?:File|Directory|Path) (?P<path>'[^']*') does not exist\."), "{path} introuvable."),
    (re.compile(r"(?:File|Directory|Path) (?P<path>'[^']*') is a directory\."), "{path} est un dossier."),
    (re.compile(r"(?:File|Directory|Path) (?P<path>'[^']*') is a file\."), "{path} est un fichier."),
    (re.compile(r"Input should be a valid integer\b.*$"), "un nombre entier est attendu."),
    (re.compile(r"Input should be a valid number\b.*$"), "un nombre est attendu."),
    (re.compile(r"Input should be greater than or equal to (?P<n>\S+)"), "la valeur doit être au moins {n}"),
    (re.compile(r"Input should be less than or equal to (?P<n>\S+)"), "la valeur doit être au plus {n}"),
    (re.compile(r"Input should be greater than (?P<n>\S+)"), "la valeur doit être supérieure à {n}"),
    (re.compile(r"Input should be less than (?P<n>\S+)"), "la valeur doit être inférieure à {n}"),
    (re.compile(r" Did you mean (?P<what>.+?)\?"), " Vouliez-vous dire {what} ?"),
    (re.compile(r"\(Possible options: (?P<what>.+?)\)"), "(options possibles : {what})"),
]


# The type column of the help (« <str> », « <bool> », « <list[str]> ») in words: a flag shows
# none, a choice its values.
_TYPES = {"str": "TEXTE", "int": "ENTIER", "float": "NOMBRE", "path": "CHEMIN", "file": "FICHIER", "directory": "DOSSIER", "bool": None,
          "int range": "ENTIER", "float range": "NOMBRE", "datetime": "DATE"}  # fmt: skip


def french_type(shown: str | None) -> str | None:
    """A help type label in French (unknown labels kept as they are)."""
    if shown is None:
        return None
    m = re.fullmatch(r"<(list\[)?(.+?)\]?>(\.\.\.)?", shown)
    if not m:
        return shown
    repeated, inner = bool(m[1]), m[2]
    if inner in _TYPES:
        word = _TYPES[inner]
    elif "|" in inner:
        word = " | ".join(inner.split("|"))  # wraps between choices, not inside one
    else:
        return shown
    if word is None:
        return None
    return f"{word} (répétable)" if repeated or m[3] else word


def translate(message: str) -> str:
    """Click's English usage-error message in French (unknown messages are kept as they are)."""
    for pattern, template in _PIECES:
        message = pattern.sub(lambda m, t=template: t.format(**m.groupdict()), message)
    for pattern, template in _MESSAGES:
        m = pattern.match(message)
        if m:
            return template.format(**m.groupdict())
    return message


def unwrap(paragraph: str) -> str:
    """A docstring paragraph as one line, so that Rich wraps it to the terminal: Typer's rich
    mode keeps the docstring's own line breaks in the list of commands and in the paragraphs
    after the first (« Les\\n chèques du carnet… »). Click's « \\b » marker keeps them."""
    return paragraph if paragraph.startswith("\b") else " ".join(line.strip() for line in paragraph.splitlines())


def install() -> None:
    """Put Typer's words in French (idempotent)."""
    rich_utils.ARGUMENTS_PANEL_TITLE = "Arguments"
    rich_utils.OPTIONS_PANEL_TITLE = "Options"
    rich_utils.COMMANDS_PANEL_TITLE = "Commandes"
    rich_utils.ERRORS_PANEL_TITLE = "Erreur"
    rich_utils.ABORTED_TEXT = "Interrompu."
    rich_utils.DEFAULT_STRING = "[par défaut : {}]"
    rich_utils.ENVVAR_STRING = "[variable d'environnement : {}]"
    rich_utils.REQUIRED_LONG_STRING = "[obligatoire]"
    rich_utils.DEPRECATED_STRING = "(obsolète) "
    rich_utils.RICH_HELP = "Aide : [blue]{command_path} {help_option}[/]"
    if getattr(rich_utils.rich_format_error, "_terrinum", False):
        return
    print_error = rich_utils.rich_format_error

    def rich_format_error(error) -> None:
        english = error.format_message()
        error.format_message = lambda: translate(english)
        print_error(error)

    rich_format_error._terrinum = True
    rich_utils.rich_format_error = rich_format_error
    command_help, fix_linebreaks = rich_utils._make_command_help, rich_utils._fix_linebreaks
    rich_utils._make_command_help = lambda *, help_text, markup_mode: command_help(
        help_text=unwrap(inspect.cleandoc(help_text).split("\n\n")[0]), markup_mode=markup_mode
    )
    rich_utils._fix_linebreaks = lambda paragraphs, markup_mode: fix_linebreaks([unwrap(p) for p in paragraphs], markup_mode)
    get_help_option = click_core.Command.get_help_option

    def french_help_option(self, ctx):
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = HELP_OPTION
        return option

    click_core.Command.get_help_option = french_help_option
    for kind in (typer_core.TyperOption, typer_core.TyperArgument):
        shown = kind.display_type_rich

        def display_type_rich(self, ctx, shown=shown):
            return french_type(shown(self, ctx))

        kind.display_type_rich = display_type_rich
