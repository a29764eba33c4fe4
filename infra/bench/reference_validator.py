#!/usr/bin/env python3
"""Reference validator for the benchmark: the work `contacts validate` does,
in plain Python (stdlib `csv` + the `phonenumbers` package).

usage: reference_validator.py FILE [--default-country CC]

Detects the encoding (BOM, else UTF-8, else Windows-1252) and the delimiter
(the candidate that splits the header into the most columns and the most
following lines the same way), maps the headers automatically with the same
names as shared/engine/src/fields.rs, checks every mapped value, normalises phones to
E.164 with the same rule as shared/engine/src/normalize/phone.rs (read in the default
country, accept a *possible* number, else retry as `+digits`), counts repeated
phones and classifies each row as an `add_and_update` import against an empty
workspace would. Prints one JSON line: {"rows", "to_add", "errors", ...}.

This is a comparison baseline written the straightforward way a Python
service would; it is not tuned beyond avoiding obvious waste.
"""
import argparse
import codecs
import csv
import json
import re
import sys
import unicodedata
from collections import Counter

import phonenumbers
from phonenumbers import PhoneNumberFormat, ValidationResult

SNIFF_BYTES = 64 * 1024
SNIFF_LINES = 50
MAX_TEXT_CHARS = 255
MAX_TAG_CHARS = 64
MAX_TAGS_PER_ROW = 50

# Folded header names, as shared/engine/src/fields.rs lists them.
HEADER_NAMES = {
    "first_name": ["firstname", "first", "name", "fullname", "givenname", "contactname",
                   "nombre", "nombres", "primernombre", "nombrecompleto", "nome",
                   "primeironome", "nomecompleto"],
    "last_name": ["lastname", "last", "surname", "familyname", "apellido", "apellidos",
                  "sobrenome", "ultimonome"],
    "phone": ["phone", "phonenumber", "mobile", "mobilenumber", "mobilephone", "cell",
              "cellphone", "telephone", "tel", "whatsapp", "whatsappnumber", "contactnumber",
              "telefono", "numerodetelefono", "celular", "movil", "numero", "numerodecelular",
              "telefone", "numerodetelefone", "fone", "numerodewhatsapp"],
    "email": ["email", "emailaddress", "mail", "correo", "correoelectronico",
              "direcciondecorreo", "enderecodeemail", "emaildocontato"],
    "country": ["country", "countrycode", "pais"],
    "language": ["language", "lang", "locale", "idioma", "lengua", "lingua"],
    "assignee": ["assignee", "assignedto", "asignado", "asignadoa", "responsable",
                 "responsavel", "atribuidoa"],
    "tags": ["tags", "tag", "labels", "etiquetas", "etiqueta", "marcadores"],
    "contact_id": ["contactid", "id", "idcontacto", "idcontato", "iddocontato"],
}
FIELD_ORDER = list(HEADER_NAMES)

# Country names the engine knows beyond ISO codes: a comparable subset.
COUNTRY_NAMES = {
    "ecuador": "EC", "brasil": "BR", "brazil": "BR", "mexico": "MX", "espana": "ES",
    "spain": "ES", "malaysia": "MY", "malasia": "MY", "estadosunidos": "US", "eua": "US",
    "unitedstates": "US", "colombia": "CO", "peru": "PE", "chile": "CL", "argentina": "AR",
}
LANGUAGE_NAMES = {"espanol": "es", "spanish": "es", "portugues": "pt", "portuguese": "pt",
                  "english": "en", "ingles": "en", "malay": "ms"}
LANGUAGE_CODES = {"es", "pt", "en", "ms", "fr", "de", "it", "zh", "ar", "id", "ja", "ko", "ru"}
COUNTRY_CODES = set(phonenumbers.SUPPORTED_REGIONS)

FILLER = set(" \t\r\n\x0b\x0c\u00a0.-()[]/\u2010\u2011\u2012\u2013\u2014\u2015")
DIGITS = set("0123456789")

# A dot-atom local part (what the email_address crate accepts, less quoted
# forms and comments), then a domain of alphanumeric/hyphen labels with a dot.
ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
EMAIL_RE = re.compile(r"^%s(?:\.%s)*@([^@\s]+)$" % (ATOM, ATOM))


def fold(text):
    return "".join(
        c for c in unicodedata.normalize("NFKD", text).lower()
        if not unicodedata.combining(c) and c.isalnum()
    )


def detect_encoding(head):
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        # A character cut by the prefix's end is fine.
        if e.start >= len(head) - 3 and e.reason == "unexpected end of data":
            return "utf-8"
        return "cp1252"


def detect_delimiter(text):
    lines = [l for l in re.split(r"[\r\n]", text) if l.strip()][:SNIFF_LINES]
    if not lines:
        return ","
    header, rest = lines[0], lines[1:]

    def count(line, d):
        quoted, n = False, 0
        for c in line:
            if c == '"':
                quoted = not quoted
            elif c == d and not quoted:
                n += 1
        return n

    best, best_key = ",", None
    for order, d in enumerate([",", ";", "|", "\t"]):
        in_header = count(header, d)
        if in_header == 0:
            continue
        agreeing = sum(1 for l in rest if count(l, d) == in_header)
        key = (agreeing, in_header, -order)
        if best_key is None or key > best_key:
            best, best_key = d, key
    return best


def plan(headers):
    """(column, field) for each automatically mapped column."""
    taken, columns = set(), []
    for i, h in enumerate(headers):
        folded = fold(h)
        if not folded:
            continue
        for field in FIELD_ORDER:
            if folded in HEADER_NAMES[field]:
                if field not in taken:
                    taken.add(field)
                    columns.append((i, field))
                break
    return columns


def possible(text, region):
    try:
        n = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # The engine accepts IS_POSSIBLE only (not IS_POSSIBLE_LOCAL_ONLY), as
    # rlibphonenumber's is_possible_with_reason answers it.
    if phonenumbers.is_possible_number_with_reason(n) != ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(n, PhoneNumberFormat.E164)


def normalize_phone(raw, region):
    """E.164, None for no digits, or raises ValueError."""
    out = []
    for i, c in enumerate(raw):
        if c in DIGITS:
            out.append(c)
        elif c == "+" and i == 0:
            out.append(c)
        elif c in FILLER or c.isspace():
            pass
        else:
            raise ValueError("phone")
    compact = "".join(out)
    if not compact:
        return None
    if compact == "+":
        raise ValueError("phone")
    if compact[0] == "+":
        e164 = possible(compact, None)
    else:
        e164 = possible(compact, region) if region else None
        if e164 is None:
            e164 = possible("+" + compact, None)
    if e164 is None:
        raise ValueError("phone")
    return e164


def check_text(value):
    if len(value) > MAX_TEXT_CHARS:
        raise ValueError("too long")


def check_email(value):
    check_text(value)
    m = EMAIL_RE.match(value)
    if not m:
        raise ValueError("email")
    domain = m.group(1)
    if "." not in domain:
        raise ValueError("email")
    for label in domain.split("."):
        if not label or label[0] == "-" or label[-1] == "-":
            raise ValueError("email")
        if not all(c.isalnum() or c == "-" for c in label):
            raise ValueError("email")
    return value.lower()


def check_tags(value):
    out, seen = [], set()
    for tag in re.split(r"[,;|]", value):
        tag = tag.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG_CHARS:
            raise ValueError("tag too long")
        low = tag.lower()
        if low not in seen:
            seen.add(low)
            out.append(tag)
    if len(out) > MAX_TAGS_PER_ROW:
        raise ValueError("too many tags")
    return out


def check_country(value):
    if len(value) == 2 and value.upper() in COUNTRY_CODES:
        return value.upper()
    if fold(value) in COUNTRY_NAMES:
        return COUNTRY_NAMES[fold(value)]
    raise ValueError("country")


def check_language(value):
    primary = re.split(r"[-_]", value)[0].lower()
    if primary in LANGUAGE_CODES:
        return primary
    if fold(value) in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[fold(value)]
    raise ValueError("language")


def open_rows(path, encoding, delimiter):
    f = open(path, "r", encoding=encoding, newline="")
    return f, csv.reader(f, delimiter=delimiter, quotechar='"')


def scan(path, encoding, delimiter, region):
    f, reader = open_rows(path, encoding, delimiter)
    with f:
        headers = None
        for rec in reader:
            if any(v.strip() for v in rec):
                headers = [h.strip() for h in rec]
                break
        if headers is None:
            raise SystemExit("no data rows")
        columns = plan(headers)
        if not any(field == "phone" for _, field in columns):
            raise SystemExit("no column is mapped to the phone number")
        ncols = len(headers)
        checkers = {
            "first_name": check_text, "last_name": check_text, "contact_id": check_text,
            "assignee": check_text, "email": check_email, "tags": check_tags,
            "country": check_country, "language": check_language,
        }
        first_name_col = next((c for c, f in columns if f == "first_name"), None)
        # Per row: (invalid, phone or None, has_first_name); phones counted.
        rows = []
        counts = Counter()
        for rec in reader:
            if not any(v.strip() for v in rec):
                continue
            invalid = any(v.strip() for v in rec[ncols:])
            phone = None
            for col, field in columns:
                value = rec[col].strip() if col < len(rec) else ""
                if not value:
                    continue
                try:
                    if field == "phone":
                        phone = normalize_phone(value, region)
                    else:
                        checkers[field](value)
                except ValueError:
                    invalid = True
            if phone is not None:
                counts[phone] += 1
            has_first = (first_name_col is not None and first_name_col < len(rec)
                         and bool(rec[first_name_col].strip()))
            rows.append((invalid, phone, has_first))
    return headers, rows, counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--default-country", default=None)
    a = ap.parse_args()
    region = a.default_country.upper() if a.default_country else None
    with open(a.file, "rb") as f:
        head = f.read(SNIFF_BYTES)
    encoding = detect_encoding(head)
    delimiter = detect_delimiter(head.decode(encoding, errors="replace"))
    try:
        headers, rows, counts = scan(a.file, encoding, delimiter, region)
    except UnicodeDecodeError:
        # A UTF-8 guess from the first bytes proved wrong further on.
        encoding = "cp1252"
        headers, rows, counts = scan(a.file, encoding, delimiter, region)
    review = {"rows": 0, "to_add": 0, "to_update": 0, "to_skip": 0, "errors": 0}
    repeated_rows = invalid_rows = 0
    for invalid, phone, has_first in rows:
        review["rows"] += 1
        if invalid:
            invalid_rows += 1
            review["errors"] += 1
        elif phone is None:
            review["errors"] += 1
        elif counts[phone] > 1:
            repeated_rows += 1
            review["errors"] += 1
        elif not has_first:
            review["errors"] += 1
        else:
            review["to_add"] += 1
    review.update(encoding=encoding, delimiter=delimiter, headers=headers,
                  invalid_rows=invalid_rows, repeated_rows=repeated_rows)
    json.dump(review, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
