"""The report's PDF typeset by Typst from the report's own HTML (the page WeasyPrint used to
lay out): headings, paragraphs, lists, tables with their captions and header rows, the
drawings (SVG, their captions as alternative text), the demonstration notices. Chosen by
figures (bench/pdf_moteurs.py, docs/notes-techniques.md): the same content in about a tenth
of WeasyPrint's time, as a tagged PDF/UA-1 whose rules Typst checks itself when it writes it
(a missing title or alternative text is an error, not a silent defect)."""

from __future__ import annotations

import re

import lxml.html

GREY, RULE, HEADER = "#555555", "#cccccc", "#eeeeee"
CHART_SCALE, TEXT_WIDTH_PT = 0.8, 510.0  # pt per unit of a chart's drawing; A4 less 2 × 15 mm
DEMO_FILL, DEMO_LINE = "#fff8e1", "#b38600"
BLOCKS = ("header", "section", "nav", "div", "details", "main", "article", "body", "dd")
SKIPPED = ("style", "script", "svg", "title", "head", "meta", "link", "figcaption", "caption")


def _string(text: str) -> str:
    """A Typst string literal of HTML text (runs of white space as one space, as a browser)."""
    text = re.sub(r"\s+", " ", text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


class Typesetter:
    """HTML of a report → Typst markup. `colours`: the site's colour variables (the map's
    classes, for the legend's swatches)."""

    def __init__(self, colours: dict[str, str]):
        self.colours = colours

    def inline(self, el) -> str:
        out = [f"#{_string(el.text)}"] if el.text else []
        for child in el:
            out.append(self.node(child))
            if child.tail:
                out.append(f"#{_string(child.tail)}")
        return "".join(out)

    def node(self, el) -> str:  # noqa: C901, PLR0911, PLR0912 (one branch per element)
        if not isinstance(el.tag, str):  # a comment or a processing instruction: nothing to print
            return ""
        tag = el.tag
        classes = _classes(el)
        if tag in ("h1", "h2", "h3", "h4"):
            return f"\n#heading(level: {tag[1]})[{self.inline(el)}]\n"
        if tag == "p":
            if "alerte-demo" in classes:
                return f'\n#block(fill: rgb("{DEMO_FILL}"), stroke: (left: 3pt + rgb("{DEMO_LINE}")), inset: 6pt, width: 100%)[{self.inline(el)}]\n'
            if "source" in classes:
                return f'\n#par(text(8pt, fill: rgb("{GREY}"))[{self.inline(el)}])\n'
            return f"\n#par[{self.inline(el)}]\n"
        if tag in BLOCKS:
            return "\n" + (f"#{_string(el.text)}" if el.text and el.text.strip() else "") + "".join(self.block_child(c) for c in el) + "\n"
        if tag == "summary":
            return f"\n#par(strong[{self.inline(el)}])\n"
        if tag in ("strong", "b"):
            return f"#strong[{self.inline(el)}]"
        if tag in ("em", "i"):
            return f"#emph[{self.inline(el)}]"
        if tag == "sup":
            return f"#super[{self.inline(el)}]"
        if tag == "span":
            if "badge-demo" in classes or "badge" in classes:
                return f'#box(fill: rgb("#fff3cd"), stroke: 0.5pt + rgb("{DEMO_LINE}"), inset: (x: 3pt, y: 1.5pt), radius: 2pt, text(8pt, weight: "bold")[{self.inline(el)}])'
            if "source" in classes:
                return f'#linebreak()#text(8pt, weight: "regular", fill: rgb("{GREY}"))[{self.inline(el)}]'
            if "pastille" in classes:
                colour = next((self.colours.get(f"c{c[len('classe-') :]}") for c in classes if c.startswith("classe-")), None) or "#ffffff"
                return f'#box(width: 8pt, height: 8pt, fill: rgb("{colour}"), stroke: 0.5pt + rgb("#8a8a8a"), baseline: 1pt) '
            return self.inline(el)
        if tag == "br":
            return "#linebreak()"
        if tag in ("ul", "ol"):
            items = [li for li in el if li.tag == "li"]
            if any(c.tag in ("h3", "h4", "p") for li in items for c in li):  # items made of blocks (the priorities): each kept whole
                return "".join(self.rich_item(li, f"{n}. " if tag == "ol" else "") for n, li in enumerate(items, 1))
            markup = ", ".join(f"[{self.inline(li)}]" for li in items)
            return f"\n#{'list' if tag == 'ul' else 'enum'}({markup})\n" if markup else ""
        if tag == "dl":
            items = []
            for term in el.iter("dt"):
                value = term.getnext()
                items.append(f"[#strong[{self.inline(term)}] : {self.inline(value) if value is not None else ''}]")
            return f"\n#list({', '.join(items)})\n" if items else ""
        if tag == "figure":
            return self.figure(el)
        if tag == "table":
            return self.table(el)
        if tag in SKIPPED:
            return ""
        return self.inline(el)  # a, abbr, time, … : their text

    def rich_item(self, li, number: str) -> str:
        """A list item made of blocks, kept on one page, its number before its heading."""
        parts = []
        for child in li:
            if number and child.tag in ("h3", "h4"):
                parts.append(f"\n#heading(level: {child.tag[1]})[#{_string(number)}{self.inline(child)}]\n")
                number = ""
            else:
                parts.append(self.block_child(child))
        return f"\n#block(breakable: false, width: 100%)[{''.join(parts)}]\n"

    def block_child(self, el) -> str:
        """A block's child, with the text after it (a block's loose text is a paragraph)."""
        out = self.node(el)
        if el.tail and el.tail.strip():
            out += f"#{_string(el.tail)}"
        return out

    def figure(self, el) -> str:
        svg = el.find(".//svg")
        caption = el.find("figcaption")
        if svg is None:
            return ""
        alt = re.sub(r"\s+", " ", caption.text_content()).strip() if caption is not None else "Dessin"
        markup = lxml.html.tostring(svg, encoding="unicode")
        if "xmlns=" not in markup:
            markup = markup.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
        if "carte" in _classes(svg):
            size = 'height: 9.5cm, width: 100%, fit: "contain"'
        else:  # a chart at about 0.8 pt per unit of its drawing, so its labels read like the text
            box = (svg.get("viewbox") or svg.get("viewBox") or "0 0 640 0").split()
            size = f"width: {min(float(box[2]) * CHART_SCALE, TEXT_WIDTH_PT):.0f}pt"
        body = f'image(bytes({_string(markup)}), format: "svg", alt: {_string(alt)}, {size})'
        return f"\n#figure({body}, caption: [{self.inline(caption) if caption is not None else ''}])\n"

    def cell(self, el) -> str:
        content = self.inline(el)
        return f"table.cell(align: right)[{content}]" if "nombre" in _classes(el) else f"[{content}]"

    def table(self, el) -> str:
        head = el.find("thead")
        rows = [r for r in el.iter("tr") if head is None or r.getparent() is not head]
        header_cells = list(head.iter("th")) if head is not None else []
        columns = max([len(header_cells), *(len(r) for r in rows)] or [1])
        parts = []
        if header_cells:
            parts.append("table.header(" + ", ".join(self.cell(c) for c in header_cells) + ")")
        parts += [self.cell(c) for r in rows for c in r if isinstance(c.tag, str)]
        body = (
            f'table(columns: {columns}, inset: (x: 4pt, y: 3pt), stroke: (x: none, y: 0.5pt + rgb("{RULE}")), '
            f'fill: (x, y) => if y == 0 {{ rgb("{HEADER}") }}, {", ".join(parts)})'
        )
        caption = el.find("caption")
        if caption is None:
            return f"\n#{body}\n"
        return f"\n#figure({body}, kind: table, caption: figure.caption(position: top)[{self.inline(caption)}])\n"


PREAMBLE = """#set document(title: {title}, author: "Terrinum", description: {description})
#set text(lang: "fr", region: "FR", font: ("DejaVu Sans", "Libertinus Serif"), size: 9.5pt)
#set page(paper: "a4", margin: (x: 15mm, y: 18mm), footer: context text(8pt, fill: rgb("{grey}"), grid(columns: (1fr, auto), [Terrinum — diagnostic numérique du territoire], [Page #counter(page).display() sur #counter(page).final().first()])))
#set par(justify: false, spacing: 0.8em)
#set figure(numbering: none, gap: 0.5em)
#show figure: set block(breakable: true)
#show figure.caption: set text(weight: "bold")
#show figure.where(kind: image): it => block(width: 100%, breakable: false, it)
#show heading.where(level: 1): set text(15pt)
#show heading.where(level: 2): it => block(above: 1.6em, below: 0.8em, text(12pt, it))
#show heading.where(level: 3): set text(10.5pt)
#show heading.where(level: 4): set text(9.5pt)
"""


def source(page: str, colours: dict[str, str]) -> str:
    """The Typst source of a report page (its <title> and description become the PDF's)."""
    doc = lxml.html.fromstring(page)
    title = doc.findtext(".//title") or "Diagnostic numérique"
    description = next(iter(doc.xpath("//meta[@name='description']/@content")), "") or title
    body = doc.find(".//body")
    return PREAMBLE.format(title=_string(title), description=_string(description), grey=GREY) + Typesetter(colours).node(body)


def pdf(page: str, colours: dict[str, str]) -> bytes:
    """The report page as a tagged PDF (PDF/UA-1, checked by Typst as it writes it)."""
    import typst

    return typst.compile(source(page, colours).encode(), format="pdf", pdf_standards="ua-1")
