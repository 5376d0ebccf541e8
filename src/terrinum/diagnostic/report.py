"""Composition of a territory's report from the sections the pillars declare: the territory
page renders it today, the printable diagnostic (PDF, batch) will render the same
composition. Testable without HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from terrinum.pillars import Section, all_pillars
from terrinum.warehouse import store


@dataclass
class SectionContext:
    """What a section composer gets: a read-only warehouse connection (None when there is no
    warehouse or an import is writing it), the territory, its sub-territories, and how the
    page draws and links them."""

    con: Any
    territory: Any
    children: list
    group_of: Callable
    url_of: Callable


@dataclass
class ComposedSection:
    key: str
    title: str
    template: str
    data: dict
    spec: Section
    kept: dict | None = None  # the cache entry of a warehouse-only section (its HTML goes there too)

    def render(self, territory, request=None) -> str:
        """The section's HTML (its template with `s` and `t`); a warehouse-only section's HTML
        is kept with its data, for the same warehouse version."""
        from django.template.loader import render_to_string

        if self.kept is None:
            return render_to_string(self.template, {"s": self.data, "t": territory}, request=request)
        if "html" not in self.kept:
            self.kept["html"] = render_to_string(self.template, {"s": self.data, "t": territory})
        return self.kept["html"]


def sections() -> list[Section]:
    """The section registry: every registered pillar's section, in pillar order."""
    return [p.section for p in all_pillars() if p.section is not None]


CACHE = store.Cache()


def compose(territory, children: list, group_of: Callable, url_of: Callable) -> list[ComposedSection]:
    """Every section with something to show for this territory, in pillar order. A section
    that depends on the warehouse alone is computed once per warehouse version (a page is
    then a cache read and a template render; an import's publication makes a new version)."""
    specs = sections()
    version = store.version()  # before opening: data newer than its key is harmless, older is not
    try:
        with store.reader() as con:
            return _compose(specs, SectionContext(con, territory, children, group_of, url_of), version)
    except store.Unavailable:
        return _compose(specs, SectionContext(None, territory, children, group_of, url_of), None)


def _compose(specs: list[Section], ctx: SectionContext, version) -> list[ComposedSection]:
    composed = []
    for spec in specs:
        # the day too: sections compare projected dates with today's
        key = (spec.key, ctx.territory.niveau, ctx.territory.code, tuple(c.code for c in ctx.children), version, date.today())
        keep = spec.warehouse_only and version is not None
        kept = CACHE.get(key) if keep else None
        if kept is None:
            kept = {"data": spec.compose(ctx)}
            if keep:
                CACHE.put(key, kept)
        if kept["data"]:
            composed.append(ComposedSection(spec.key, spec.title, spec.template, kept["data"], spec, kept if keep else None))
    return composed


def comparison(children: list, url_of: Callable, composed: list[ComposedSection], sort: str, order: str) -> dict | None:
    """Every sub-unit on every section's headline columns, in one sortable table. Default
    sort: the last column (the fragility index when its pillar is there), descending."""
    with_columns = [s for s in composed if s.spec.comparison]
    if not children or not any(s.data.get("par_code") for s in with_columns):
        return None
    columns = [(s, col) for s in with_columns for col in s.spec.comparison]
    rows = []
    for c in children:
        values = {col.key: col.value(s.data, c.code) for s, col in columns}
        rows.append({"t": c, "url": url_of(c), "nom": c.nom, "population": c.population, **values,
                     "valeurs": [{"valeur": values[col.key], "decimales": col.decimals} for _, col in columns]})  # fmt: skip
    labels = {"nom": "Territoire", "population": "Population", **{col.key: col.label for _, col in columns}}
    if sort not in labels:
        sort = columns[-1][1].key
    descending = order != "asc"
    present = [r for r in rows if r[sort] is not None]
    missing = [r for r in rows if r[sort] is None]
    present.sort(key=lambda r: r[sort] if sort != "nom" else r["t"].nom_recherche, reverse=descending)
    links = {}
    for key, label in labels.items():
        next_order = "asc" if sort == key and descending else "desc"
        links[key] = {
            "libelle": label,
            "url": f"?comparer={key}&sens={next_order}#comparaison",
            "actif": key == sort,
            "ordre": "descending" if descending else "ascending",
        }
    demo = any(s.data.get("demo") for s in with_columns)
    return {"lignes": present + missing, "colonnes": links, "demo": demo}
