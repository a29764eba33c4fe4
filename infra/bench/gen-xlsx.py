"""Writes the bench's spreadsheets from its CSV files, with XlsxWriter in
constant-memory mode (rows streamed, strings inline, as Excel's own files
are read the same way):

    gen-xlsx.py local-200000.csv local-200000.xlsx
    gen-xlsx.py --notes local-200000.csv wide-200000.xlsx

Cells that are all digits (phones written without + or spaces) are written
as numbers, as Excel stores them when typed. `--notes` adds a column of
random words per row, which compresses poorly, so that the workbook comes
near the 20 MiB upload limit (20,963,341 bytes, 8 KiB under it, with
XlsxWriter 3.3.1; the bench says so plainly if another version writes
more).
"""
import csv
import random
import sys

import xlsxwriter

notes = sys.argv[1] == "--notes"
source, target = sys.argv[-2], sys.argv[-1]
rng = random.Random(7)
WORDS = [
    "cliente", "feria", "pedido", "llamar", "mayorista", "Quito", "Guayaquil",
    "São Paulo", "entrega", "crédito", "visita", "promoción", "Kuala Lumpur",
]

book = xlsxwriter.Workbook(target, {"constant_memory": True})
sheet = book.add_worksheet("Contactos")
with open(source, newline="", encoding="utf-8-sig") as f:
    first = f.readline()
    f.seek(0)
    reader = csv.reader(f, delimiter=";" if first.count(";") > first.count(",") else ",")
    for r, row in enumerate(reader):
        if notes:
            row = row + (["Notas"] if r == 0 else [" ".join(rng.choice(WORDS) + str(rng.randrange(10**7)) for _ in range(9))])
        for c, value in enumerate(row):
            if value.isdigit() and len(value) < 16 and r > 0:
                sheet.write_number(r, c, int(value))
            else:
                sheet.write_string(r, c, value)
book.close()
