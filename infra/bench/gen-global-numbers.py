#!/usr/bin/env python3
"""Deterministic CSV of international phone numbers from every region the
`phonenumbers` package knows, for benchmarks.

usage: gen-global-numbers.py ROWS OUT.csv [--seed N]

Columns `Nombre,Teléfono,Correo`. Templates are `example_number_for_type` for
every supported region and several number types (plus the non-geographic
entities such as +800 and +882), distinct by number. Row i takes template
i mod T and replaces the template's last digits with a variant that a
multiplier coprime with 10 spreads over them, so rows are distinct until a
template runs out of variants; every number is checked to be *possible* (the
engine's acceptance rule). Half the numbers are written in E.164
(`+442079460018`), half in the spaced international format
(`+44 20 7946 0018`). The same ROWS and seed give the same bytes.
"""
import argparse
import csv
import random
import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, ValidationResult

TYPES = [
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.UAN,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.PAGER,
]
FIRST = ["María", "José", "Ana", "Luis", "Olivia", "Noah", "Aarav", "Fatima", "Yuki", "Chen",
         "Amara", "Lars", "Sofia", "Mohammed", "Priya", "Kwame", "Elena", "Hiro", "Zara", "Tomás"]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.jp", "mail.ru", "web.de", "empresa.com.ec"]


def is_possible(n):
    return phonenumbers.is_possible_number_with_reason(n) == ValidationResult.IS_POSSIBLE


def templates():
    """(country code, national significant number) of every example, distinct."""
    seen, out = set(), []

    def add(n):
        if n is None or not is_possible(n):
            return
        key = (n.country_code, phonenumbers.national_significant_number(n))
        if key not in seen:
            seen.add(key)
            out.append(n)

    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for t in TYPES:
            add(phonenumbers.example_number_for_type(region, t))
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        add(phonenumbers.example_number_for_non_geo_entity(cc))
    return out


def variant(template, k):
    """The template with its last digits replaced by variant k (or None)."""
    nsn = phonenumbers.national_significant_number(template)
    digits = min(4, len(nsn) - 2)
    if digits < 1:
        return None
    space = 10 ** digits
    # 7919 is coprime with 10, so k -> k*7919 mod space is a permutation.
    tail = str((int(nsn[-digits:]) + k * 7919) % space).zfill(digits)
    text = "+%d%s%s" % (template.country_code, nsn[:-digits], tail)
    try:
        n = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    return n if is_possible(n) else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    r = random.Random(a.seed)
    base = templates()
    r.shuffle(base)
    regions = {phonenumbers.region_code_for_number(n) for n in base}
    written, distinct = 0, set()
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Nombre", "Teléfono", "Correo"])
        i = 0
        while written < a.rows:
            template = base[i % len(base)]
            n = variant(template, i // len(base))
            i += 1
            if n is None:
                continue
            e164 = phonenumbers.format_number(n, PhoneNumberFormat.E164)
            distinct.add(e164)
            if r.random() < 0.5:
                phone = e164
            else:
                phone = phonenumbers.format_number(n, PhoneNumberFormat.INTERNATIONAL)
            name = r.choice(FIRST)
            user = name.lower().encode("ascii", "ignore").decode() + str(written)
            w.writerow([name, phone, user + "@" + r.choice(DOMAINS)])
            written += 1
    print(
        "%s: %d rows, %d templates from %d regions and non-geographic codes, %d distinct numbers"
        % (a.out, written, len(base), len(regions), len(distinct)),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
