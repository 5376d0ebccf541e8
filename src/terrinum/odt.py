"""An OpenDocument text (odfpy) from blocks: the annual report of a DPO, the draft master plan
of a territory. Blocks are ("titre", level, text), ("paragraphe", text) and ("tableau", name,
header, rows); numbers become number cells. Imports nothing of Terrinum's."""

from __future__ import annotations

import io


def document(blocks: list[tuple]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style, TableColumnProperties, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    doc = OpenDocumentText()
    headings = {}
    for level, size in ((1, "16pt"), (2, "13pt"), (3, "11pt")):
        style = Style(name=f"Titre {level}", family="paragraph")
        style.addElement(TextProperties(fontsize=size, fontweight="bold"))
        style.addElement(ParagraphProperties(margintop="0.4cm", marginbottom="0.2cm"))
        doc.styles.addElement(style)
        headings[level] = style
    head = Style(name="Entête", family="paragraph")
    head.addElement(TextProperties(fontweight="bold"))
    doc.styles.addElement(head)
    column = Style(name="Colonne", family="table-column")
    column.addElement(TableColumnProperties(columnwidth="3cm"))
    doc.automaticstyles.addElement(column)
    tables = 0
    for block in blocks:
        kind = block[0]
        if kind == "titre":
            doc.text.addElement(H(outlinelevel=block[1], stylename=headings[min(block[1], 3)], text=block[2]))
        elif kind == "paragraphe":
            doc.text.addElement(P(text=block[1]))
        elif kind == "tableau":
            _, name, header, rows = block
            if not rows:
                doc.text.addElement(P(text="Rien à montrer."))
                continue
            tables += 1
            table = Table(name=f"{name[:28]} {tables}")
            table.addElement(TableColumn(numbercolumnsrepeated=len(header), stylename=column))
            for values, style in [(header, head), *[(row, None) for row in rows]]:
                tr = TableRow()
                for v in values:
                    number = isinstance(v, int | float) and not isinstance(v, bool)
                    cell = TableCell(valuetype="float", value=v) if number else TableCell(valuetype="string")
                    cell.addElement(P(text="" if v is None else str(v), **({"stylename": style} if style else {})))
                    tr.addElement(cell)
                table.addElement(tr)
            doc.text.addElement(table)
        else:
            raise ValueError(f"bloc inconnu : {kind}")
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
