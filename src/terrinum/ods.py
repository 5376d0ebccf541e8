"""An OpenDocument spreadsheet (odfpy) from rows: the ODS exports of the RGPD registers, of
a shared diagnostic's action plan, of the coverage zones proposed by a project team and of
a Pass numérique campaign report. Numbers become number cells, everything else text;
imports nothing of Terrinum's."""

from __future__ import annotations

import io


def sheet(name: str, header: list[str], rows: list[list]) -> bytes:
    """One sheet: the header row, then the rows."""
    return sheets([(name, header, rows)])


def sheets(tables: list[tuple[str, list[str], list[list]]]) -> bytes:
    """One sheet per (name, header, rows), in order."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, header, rows in tables:
        table = Table(name=name)
        for values in [header, *rows]:
            tr = TableRow()
            for value in values:
                number = isinstance(value, int | float) and not isinstance(value, bool)
                cell = TableCell(valuetype="float", value=value) if number else TableCell(valuetype="string")
                cell.addElement(P(text="" if value is None else str(value)))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
