"""The report's HTML typeset by Typst: text is printed as written (Typst's markup characters
included), comments are not printed, tables keep their header row and right-aligned figures,
drawings carry their caption as alternative text, and a page Typst cannot make accessible is
refused rather than written."""

from __future__ import annotations

import io

import pypdf
import pytest

from terrinum.diagnostic import typeset

PAGE = """<html><head><title>Essai</title><meta name="description" content="Un essai"></head><body>
<h1>Titre <span class="badge-demo">données de démonstration</span></h1><!-- pas imprimé -->
<p>Un <strong>texte</strong> « cité » "guillemets" \\ #dièse $ [crochets] *étoiles* _soulignés_ @arobase</p>
<table><caption>Un tableau</caption><thead><tr><th scope="col">Zone</th><th scope="col" class="nombre">Locaux</th></tr></thead>
<tbody><tr><th scope="row">RIP</th><td class="nombre">1 200</td></tr></tbody></table>
<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 100" class="graphique"><rect width="400" height="100"/></svg>
<figcaption>Un dessin et sa légende.</figcaption></figure>
</body></html>"""


def test_text_tables_and_drawings_come_out_as_written():
    pdf = typeset.pdf(PAGE, {})
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert 'Un texte « cité » "guillemets" \\ #dièse $ [crochets] *étoiles* _soulignés_ @arobase' in text
    assert "pas imprimé" not in text and "Un tableau" in text and "1 200" in text
    assert reader.metadata.title == "Essai" and reader.trailer["/Root"]["/Lang"].startswith("fr")
    source = typeset.source(PAGE, {})
    assert 'table.header([#"Zone"], table.cell(align: right)[#"Locaux"])' in source
    assert 'alt: "Un dessin et sa légende."' in source and "width: 320pt" in source  # 400 units × 0.8 pt


def test_what_pdf_ua_asks_is_always_given_and_typst_refuses_without_it():
    """A page without a title or a drawing without a caption still gets a title and an
    alternative text; and the PDF/UA-1 export this relies on does refuse a document without a
    title (were the standard dropped from the call, nothing would check it any more)."""
    import typst

    bare = PAGE.replace("<title>Essai</title>", "<title></title>").replace("<figcaption>Un dessin et sa légende.</figcaption>", "")
    reader = pypdf.PdfReader(io.BytesIO(typeset.pdf(bare, {})))
    assert reader.metadata.title == "Diagnostic numérique" and 'alt: "Dessin"' in typeset.source(bare, {})
    untitled = "\n".join(line for line in typeset.source(PAGE, {}).splitlines() if not line.startswith("#set document"))
    with pytest.raises(Exception, match="(?i)title"):
        typst.compile(untitled.encode(), format="pdf", pdf_standards="ua-1")
