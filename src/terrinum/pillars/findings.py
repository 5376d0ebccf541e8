"""What a pillar contributes to a territory's diagnostic, as types every pillar declares with:
its headline figures (compared with the peers), and its priority rules (a rule reads the
facts the pillars gather and returns findings citing the figures that triggered them). The
diagnostic (diagnostic.document, diagnostic.priorities) loops over the pillars' declarations.
Rules and thresholds: docs/methodologie-diagnostic.md, "Priorités"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Headline:
    """A headline figure compared with the peers: the published table it comes from, its
    column, and whether a higher value is better (ranks: 1 = best)."""

    key: str
    libelle: str
    table: str
    column: str  # a column, or an SQL expression of the table's columns (a column empty in every row is text: cast)
    unite: str
    higher_is_better: bool
    decimals: int = 1


@dataclass
class Figure:
    libelle: str
    valeur: float | int | str | None
    unite: str = ""
    source: str = ""
    millesime: str = ""
    demo: bool = False


@dataclass
class Finding:
    regle: str
    titre: str
    constat: str
    seuil: str
    chiffres: list[Figure]
    concernes: float
    ecart: float  # 0..1
    demo: bool = False
    score: float = field(init=False)

    def __post_init__(self):
        self.score = round(max(self.concernes, 0) * max(self.ecart, 0), 1)


@dataclass(frozen=True)
class Rule:
    key: str
    titre: str
    seuil: str
    needs: tuple[str, ...]  # the facts it reads; missing ones make it "non évaluable"
    check: Callable[[dict], list[Finding]]


def number(value, decimals: int = 0) -> str:
    """A figure in French (thin space between thousands, decimal comma); « — » when absent."""
    if value is None:
        return "—"
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def place_name(nom: str) -> str:
    return "la France" if nom == "France" else nom


def state_of(rows: list[dict]) -> str:
    """ "absent" (no row), "demo" (every row demonstration), "partiel" (some), "reel"."""
    if not rows:
        return "absent"
    demo = [bool(r.get("demo")) for r in rows]
    return "demo" if all(demo) else "partiel" if any(demo) else "reel"
