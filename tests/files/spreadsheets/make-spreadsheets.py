"""Writes clientes.xls (xlwt, the BIFF8 format Excel 97-2003 saves) and
clientes.ods (odfpy, OpenDocument as LibreOffice saves it): a header, a
row, an empty row, a row; a phone stored as a number, a date, a boolean
and a decimal in each. Run once; the files are committed.

    python3 -m pip install xlwt odfpy && python3 make-spreadsheets.py
"""
import datetime

ROWS = [
    ["Nombre", "Celular", "Alta", "Activo", "Saldo"],
    ["José Peña", 593991234567, datetime.date(2024, 3, 1), True, 12.5],
    None,
    ["João Conceição", 5511987654321, datetime.date(1999, 12, 31), False, -3],
]


def xls():
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Clientes")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(ROWS):
        for c, value in enumerate(row or []):
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, date)
            else:
                sheet.write(r, c, value)
    book.save("clientes.xls")


def ods():
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow, TableCell
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Clientes")
    for row in ROWS:
        tr = TableRow()
        for value in row or []:
            if isinstance(value, bool):
                cell = TableCell(valuetype="boolean", booleanvalue="true" if value else "false")
                cell.addElement(P(text="TRUE" if value else "FALSE"))
            elif isinstance(value, datetime.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.isoformat()))
            elif isinstance(value, (int, float)):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save("clientes.ods")


xls()
ods()
