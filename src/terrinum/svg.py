"""SVG maps and charts rendered on the server, shared by web pages and printed reports.
Imports nothing of Terrinum's (an import-linter contract keeps it so).

Projection: equirectangular scaled by cos(mean latitude) within each box: simple, exact
enough for display at territory scale. Overseas départements are drawn in their own
inset boxes under the mainland when a map spans both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import shapely

OVERSEAS = ("971", "972", "973", "974", "976")
INSET_NAMES = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte"}


@dataclass
class Feature:
    label: str
    geometry: bytes | None  # WKB, WGS84
    href: str | None = None
    css_class: str = "zone"
    group: str = "metro"  # "metro" or an overseas département code


@dataclass
class Marker:
    """A point drawn over the map (a place, a chosen site, a search origin)."""

    longitude: float
    latitude: float
    label: str
    css_class: str = "point"
    radius: float = 4.0
    group: str = "metro"
    text: str | None = None  # a name written beside the point (hidden from assistive technology, like the map)


def group_of(departement_code: str | None) -> str:
    return departement_code if departement_code in OVERSEAS else "metro"


def _ring_path(coords, project) -> str:
    pts = [project(x, y) for x, y in coords]
    return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in pts) + "Z"


def _geometry_path(geom, project) -> str:
    parts = []
    polygons = shapely.get_parts(geom)
    for poly in polygons:
        if poly.geom_type == "Polygon":
            parts.append(_ring_path(poly.exterior.coords, project))
            parts.extend(_ring_path(r.coords, project) for r in poly.interiors)
        elif poly.geom_type in ("MultiPolygon", "GeometryCollection"):
            parts.append(_geometry_path(poly, project))
    return "".join(parts)


def _projector(bounds, box):
    minx, miny, maxx, maxy = bounds
    bx, by, bw, bh = box
    k = math.cos(math.radians((miny + maxy) / 2))
    span_x = max((maxx - minx) * k, 1e-9)
    span_y = max(maxy - miny, 1e-9)
    scale = min(bw / span_x, bh / span_y)
    off_x = bx + (bw - span_x * scale) / 2
    off_y = by + (bh - span_y * scale) / 2

    def project(x, y):
        return off_x + (x - minx) * k * scale, off_y + (maxy - y) * scale

    # what a script needs to turn a click back into (longitude, latitude)
    project.georef = " ".join(repr(float(v)) for v in (minx, maxy, k * scale, scale, off_x, off_y))
    return project


def _aspect(bounds) -> float:
    minx, miny, maxx, maxy = bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    return max(maxy - miny, 1e-9) / max((maxx - minx) * k, 1e-9)


def render_map(
    features: list[Feature], title: str, width: int = 640, max_height: int = 560, markers: list[Marker] | None = None, pickable: bool = False
) -> str:
    """An SVG drawing of the features, with markers on top. The drawing is hidden from
    assistive technology (`aria-hidden`): pages always give the same information as a table
    beside it, or fields to type it. `pickable`: the drawing carries its projection
    (`data-georef`: min longitude, max latitude, x and y scales, offsets) so that a script can
    turn a click into a position (single-box maps only)."""
    drawable = [(f, shapely.from_wkb(f.geometry)) for f in features if f.geometry]
    markers = markers or []
    if not drawable and not markers:
        return ""
    groups: dict[str, list] = {}
    for f, g in drawable:
        groups.setdefault(f.group, []).append((f, g))
    for mk in markers:
        groups.setdefault(mk.group, []).append((None, shapely.Point(mk.longitude, mk.latitude)))
    order = sorted(groups, key=lambda k: (k != "metro", k))
    main, insets = order[0], order[1:]
    main_bounds = shapely.total_bounds([g for _, g in groups[main]])
    main_h = min(max_height, max(200, width * _aspect(main_bounds)))
    inset_h = 126 if insets else 0  # a name line above each inset's drawing
    height = main_h + (inset_h + 10 if insets else 0)
    boxes = {main: (4, 4, width - 8, main_h - 8)}
    if insets:
        w = (width - 8) / len(insets)
        for i, key in enumerate(insets):
            boxes[key] = (4 + i * w + 4, main_h + 22, w - 8, inset_h - 24)
    main_project = _projector(shapely.total_bounds([g for _, g in groups[main]]), boxes[main])
    georef = f' data-georef="{main_project.georef}"' if pickable and not insets else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" class="carte{" carte-pointage" if georef else ""}"{georef} aria-hidden="true" focusable="false">',
        f"<title>{escape(title)}</title>",
    ]
    for key in order:
        project = _projector(shapely.total_bounds([g for _, g in groups[key]]), boxes[key])
        if key in insets:
            x, y, w, h = boxes[key]
            out.append(f'<rect class="encart" x="{x - 3:.1f}" y="{y - 19:.1f}" width="{w + 6:.1f}" height="{h + 22:.1f}"/>')
            out.append(f'<text class="encart-nom" x="{x:.1f}" y="{y - 6:.1f}">{escape(INSET_NAMES.get(key, key))}</text>')
        for f, g in groups[key]:
            if f is None:
                continue  # marker positions only widen the box
            path = f'<path class="{escape(f.css_class)}" d="{_geometry_path(g, project)}"><title>{escape(f.label)}</title></path>'
            if f.href:
                out.append(f'<a href="{escape(f.href)}" tabindex="-1">{path}</a>')
            else:
                out.append(path)
    for mk in markers:
        key = mk.group
        project = _projector(shapely.total_bounds([g for _, g in groups[key]]), boxes[key])
        x, y = project(mk.longitude, mk.latitude)
        if mk.radius:
            out.append(f'<circle class="{escape(mk.css_class)}" cx="{x:.1f}" cy="{y:.1f}" r="{mk.radius:.1f}"><title>{escape(mk.label)}</title></circle>')
        if mk.text:
            anchor = ' text-anchor="middle"' if not mk.radius else ""  # a name alone is centred on its point
            out.append(f'<text class="nom-carte" x="{x + (mk.radius + 2 if mk.radius else 0):.1f}" y="{y + 4:.1f}"{anchor}>{escape(mk.text)}</text>')
    out.append("</svg>")
    return "".join(out)


def quantile_classes(values: list[float | None], n: int = 5) -> list[float]:
    """Upper bounds of n classes holding about the same number of values."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return []
    bounds = []
    for i in range(1, n):
        b = vals[min(len(vals) - 1, int(len(vals) * i / n))]
        if not bounds or b > bounds[-1]:
            bounds.append(b)
    return bounds


def class_index(value: float | None, bounds: list[float]) -> int | None:
    if value is None:
        return None
    for i, b in enumerate(bounds):
        if value < b:
            return i
    return len(bounds)


def fixed_class(value: float | None, bins: list[float]) -> str:
    """CSS class of a value on a map whose classes are cut at fixed `bins` (upper bounds),
    so that maps of different territories compare."""
    if value is None:
        return "zone sans-donnee"
    return f"zone classe-{sum(value >= b for b in bins)}"


def fixed_legend(bins: list[float], unit: str = " %") -> list[tuple[int, str]]:
    """(class, label) of the classes that `bins` (upper bounds) cut, for map legends."""

    def num(v: float) -> str:
        return f"{v:g}".replace(".", ",")

    bounds = [None, *(num(b) for b in bins), None]
    out = []
    for i, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        out.append((i, f"moins de {hi}{unit}" if lo is None else (f"{lo}{unit} et plus" if hi is None else f"de {lo} à moins de {hi}{unit}")))
    return out


def line_chart(points: list[tuple[str, float]], title: str, y_label: str = "%", y_max: float = 100.0,
               target: float | None = None, width: int = 640, height: int = 260) -> str:  # fmt: skip
    """A line chart of values over ordered labels (e.g. quarters). Hidden from assistive
    technology: pages give the same series as a table."""
    if not points:
        return ""
    left, right, top, bottom = 48, 36, 16, 40
    w, h = width - left - right, height - top - bottom
    n = len(points)

    def x(i):
        return left + (w * i / (n - 1) if n > 1 else w / 2)

    def y(v):
        return top + h - h * max(0.0, min(v, y_max)) / y_max

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="graphique" aria-hidden="true" focusable="false">',
        f"<title>{escape(title)}</title>",
    ]
    for k in range(5):
        v = y_max * k / 4
        out.append(f'<line class="grille" x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>')
        out.append(f'<text class="axe" x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.0f}{escape(y_label)}</text>')
    if target is not None:
        out.append(f'<line class="cible" x1="{left}" x2="{left + w}" y1="{y(target):.1f}" y2="{y(target):.1f}"/>')
    path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
    out.append(f'<polyline class="serie" points="{path}"/>')
    step = max(1, math.ceil(n / 8))
    for i, (label, v) in enumerate(points):
        out.append(f'<circle class="point" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3"><title>{escape(label)} : {v:.1f}{escape(y_label)}</title></circle>')
        if i % step == 0 or i == n - 1:
            out.append(f'<text class="axe" x="{x(i):.1f}" y="{top + h + 18}" text-anchor="middle">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def bar_chart(bars: list[tuple[str, float | None]], title: str, reference: float = 100.0, width: int = 400,
              scale_max: float | None = None, reference_label: str | None = None) -> str:  # fmt: skip
    """Horizontal bars against a reference value (e.g. indices, France = 100), on a scale up
    to `scale_max` (default: room for the longest bar), each label above its bar so that the
    chart stays readable on a phone. Hidden from assistive technology: pages give the same
    values as a table."""
    shown = [(label, v) for label, v in bars if v is not None]
    if not shown:
        return ""
    left, right, row = 4, 44, 38
    height = row * len(shown) + 26
    top = scale_max or max([reference * 1.5, *(v * 1.1 for _, v in shown)])
    w = width - left - right

    def x(v):
        return left + w * v / top

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="graphique barres" aria-hidden="true" focusable="false">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, v) in enumerate(shown):
        y = 4 + i * row
        cls = "barre barre-haute" if v > reference else "barre"
        out.append(f'<text class="axe" x="{left}" y="{y + 12}">{escape(label)}</text>')
        out.append(f'<rect class="{cls}" x="{left}" y="{y + 17}" width="{max(0.0, x(v) - left):.1f}" height="14"/>')
        shown_value = f"{v:.0f}" if scale_max is None else f"{v:.1f}".replace(".", ",")
        out.append(f'<text class="axe" x="{x(v) + 5:.1f}" y="{y + 29}">{shown_value}</text>')
    out.append(f'<line class="cible" x1="{x(reference):.1f}" x2="{x(reference):.1f}" y1="16" y2="{height - 18}"/>')
    label = reference_label or f"référence = {reference:.0f}"
    out.append(f'<text class="axe" x="{x(reference):.1f}" y="{height - 4}" text-anchor="middle">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def dot_chart(rows: list[tuple[str, list[float], float | None, str]], title: str, width: int = 400) -> str:
    """One line per figure: the peers' values as dots and the territory's as a larger mark,
    each line on its own scale (from its smallest to its largest value). `rows`: (label,
    peers' values, territory's value, unit). Hidden from assistive technology: pages give the
    same values as a table."""
    shown = [(label, [v for v in values if v is not None], own, unit) for label, values, own, unit in rows if own is not None]
    if not shown:
        return ""
    left, right, row = 4, 4, 56
    height = row * len(shown) + 8
    w = width - left - right

    def number(v: float) -> str:
        return f"{v:.1f}".replace(".", ",")

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="graphique points" aria-hidden="true" focusable="false">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, values, own, unit) in enumerate(shown):
        lo, hi = min([*values, own]), max([*values, own])

        def x(v, lo=lo, hi=hi):
            return left + w / 2 if hi == lo else left + 8 + (w - 16) * (v - lo) / (hi - lo)

        y = 8 + i * row
        out.append(f'<text class="axe" x="{left}" y="{y + 12}">{escape(label)}</text>')
        out.append(f'<line class="grille" x1="{left}" x2="{left + w}" y1="{y + 30}" y2="{y + 30}"/>')
        for v in values:
            out.append(f'<circle class="point-pair" cx="{x(v):.1f}" cy="{y + 30}" r="4"/>')
        out.append(f'<circle class="point-territoire" cx="{x(own):.1f}" cy="{y + 30}" r="7"/>')
        if hi == lo:
            out.append(f'<text class="axe" x="{left + w / 2:.1f}" y="{y + 50}" text-anchor="middle">toutes les valeurs : {number(lo)} {escape(unit)}</text>')
        else:
            out.append(f'<text class="axe" x="{left}" y="{y + 50}">{number(lo)} {escape(unit)}</text>')
            out.append(f'<text class="axe" x="{left + w}" y="{y + 50}" text-anchor="end">{number(hi)} {escape(unit)}</text>')
    out.append("</svg>")
    return "".join(out)
