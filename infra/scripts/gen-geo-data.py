#!/usr/bin/env python3
"""Generate shared/engine/src/normalize/geo_data.rs from pycountry's ISO data.

The Rust module holds three sorted tables used to recognise what people type
in "country" and "language" columns of imported contacts:

* COUNTRY_NAMES  -- (folded country name, ISO 3166-1 alpha-2), built from the
  English name / official_name / common_name of every ISO 3166-1 country, their
  Spanish and Portuguese (pt, pt_BR) translations, and ALIASES below.
* LANGUAGE_CODES -- every ISO 639-1 (two-letter) code.
* LANGUAGE_NAMES -- (folded language name, ISO 639-1 code), built from the
  English names of those languages, their es/pt/pt_BR translations and
  LANGUAGE_ALIASES below.

A folded name is fold(name): Unicode NFKD, drop combining marks (category Mn),
lowercase, keep only alphanumeric characters. The Rust side applies the same
function to user input before looking it up with `binary_search_by`.

A folded name that would map to two different codes is ambiguous: it is left
out and a warning is printed on stderr.

Usage (needs `pip install pycountry`):

    python3 infra/scripts/gen-geo-data.py            # rewrite the module
    python3 infra/scripts/gen-geo-data.py --check    # exit 1 if it is stale
    python3 infra/scripts/gen-geo-data.py -o FILE    # write elsewhere

The output depends only on the installed pycountry version (named in the
generated header), so rerunning with the same version is byte-for-byte stable.
"""

from __future__ import annotations

import argparse
import gettext
import os
import re
import sys
import unicodedata
from collections import defaultdict
from importlib import metadata
from pathlib import Path

import pycountry

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO_ROOT / "shared" / "engine" / "src" / "normalize" / "geo_data.rs"

# Locales whose translations are added, in addition to the English names.
# A locale whose catalogue pycountry does not ship is skipped.
LOCALES = ("es", "pt", "pt_BR")

# Names people really type that the ISO data (and its translations) lack.
# Entries already covered by ISO data are harmless: they fold to the same
# (name, code) pair and are deduplicated.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "AE": ("UAE", "EAU", "Emiratos Arabes", "Emirados Arabes"),
    "BN": ("Brunei",),
    "BO": ("Bolivia", "Bolívia"),
    "BR": ("Brasil", "Brazil"),
    "CD": (
        "DR Congo",
        "DRC",
        "RD Congo",
        "RDC",
        "Democratic Republic of the Congo",
        "República Democrática del Congo",
        "República Democrática do Congo",
    ),
    "CI": ("Ivory Coast", "Costa de Marfil"),
    "CV": ("Cape Verde",),
    "CZ": (
        "Czech Republic",
        "República Checa",
        "República Tcheca",
        "Chequia",
        "Chéquia",
        "Tchéquia",
    ),
    "EC": ("Ecuador", "Equador"),
    "ES": ("España", "Espanha", "Spain"),
    "GB": (
        "UK",
        "U.K.",
        "Great Britain",
        "Britain",
        "Gran Bretaña",
        "Grã-Bretanha",
        "Reino Unido",
        "England",
        "Inglaterra",
        "Scotland",
        "Escocia",
        "Escócia",
        "Wales",
        "Gales",
        "País de Gales",
        "Northern Ireland",
        "Irlanda del Norte",
        "Irlanda do Norte",
    ),
    "IR": ("Iran", "Irán", "Irã", "Irão"),
    "KR": ("South Korea", "Corea del Sur", "Coreia do Sul"),
    "KP": ("North Korea", "Corea del Norte", "Coreia do Norte"),
    "LA": ("Laos",),
    "MD": ("Moldova", "Moldavia", "Moldávia"),
    "MK": ("Macedonia", "Macedónia", "Macedônia"),
    "MM": ("Burma",),
    "MX": ("Mexico", "México", "Méjico"),
    "MY": ("Malaysia", "Malasia", "Malásia"),
    "NL": ("Holland", "Holanda", "The Netherlands"),
    "PE": ("Peru", "Perú"),
    "PS": ("Palestine", "Palestina"),
    "RU": ("Russia", "Rusia", "Rússia", "Russian Federation"),
    "SA": ("Arabia Saudita",),
    "SY": ("Syria", "Siria", "Síria"),
    "SZ": ("Swaziland", "Suazilandia", "Suazilândia"),
    "TR": ("Turkey", "Turquía", "Turquia"),
    "TW": ("Taiwan", "Taiwán"),
    "TZ": ("Tanzania", "Tanzânia"),
    "US": (
        "USA",
        "U.S.A.",
        "United States of America",
        "EEUU",
        "EE.UU.",
        "EUA",
        "Estados Unidos",
        "Estados Unidos de América",
        "Estados Unidos da América",
    ),
    "VA": ("Vatican", "Vatican City", "Vaticano"),
    "VE": ("Venezuela",),
    "VN": ("Vietnam", "Viet Nam", "Vietname", "Vietnã"),
}

LANGUAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "el": ("Greek", "Griego", "Grego"),
    "en": ("Inglés", "Inglês"),
    "es": ("Español", "Castellano", "Espanhol", "Castelhano"),
    "ms": ("Malay", "Melayu", "Bahasa Melayu", "Malayo", "Malaio"),
    "pt": ("Português", "Portugues", "Portugués"),
    "zh": ("Chinese", "Chino", "Chinês", "Mandarin", "Mandarín", "Mandarim"),
}

# A trailing parenthetical such as "(macrolanguage)" or "(1453-)".
TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*$")


def fold(text: str) -> str:
    """NFKD, drop combining marks (Mn), lowercase, keep alphanumerics only."""
    decomposed = unicodedata.normalize("NFKD", text)
    unmarked = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return "".join(c for c in unmarked.lower() if c.isalnum())


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def translators(domain: str) -> list[tuple[str, gettext.NullTranslations]]:
    found = []
    for lang in LOCALES:
        if gettext.find(domain, pycountry.LOCALES_DIR, languages=[lang]) is None:
            warn(f"pycountry ships no {lang!r} catalogue for {domain}; skipped")
            continue
        found.append(
            (lang, gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang]))
        )
    return found


class Table:
    """folded name -> code -> where it came from (for warnings)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.entries: dict[str, dict[str, list[str]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def add(self, name: str, code: str, source: str) -> None:
        key = fold(name)
        if not key:
            warn(f"{self.kind} name {name!r} ({code}, {source}) folds to nothing")
            return
        self.entries[key][code].append(f'{source} "{name}"')

    def resolve(self) -> list[tuple[str, str]]:
        pairs = []
        for key in sorted(self.entries):
            codes = self.entries[key]
            if len(codes) > 1:
                detail = "; ".join(
                    f"{code} from {', '.join(sorted(set(srcs)))}"
                    for code, srcs in sorted(codes.items())
                )
                warn(f"ambiguous {self.kind} name {key!r} dropped: {detail}")
                continue
            (code,) = codes
            if not key.isascii():
                warn(f"{self.kind} name {key!r} ({code}) is not ASCII after folding")
            pairs.append((key, code))
        return pairs


def country_names() -> list[tuple[str, str]]:
    table = Table("country")
    trans = translators("iso3166-1")
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("name", "official_name", "common_name"):
            english = getattr(country, attr, None)
            if not english:
                continue
            table.add(english, code, f"en {attr}")
            for lang, tr in trans:
                translated = tr.gettext(english)
                if translated != english:
                    table.add(translated, code, f"{lang} {attr}")
    known = {c.alpha_2 for c in pycountry.countries}
    for code, names in COUNTRY_ALIASES.items():
        if code not in known:
            sys.exit(f"error: alias code {code!r} is not an ISO 3166-1 alpha-2 code")
        for name in names:
            table.add(name, code, "alias")
    return table.resolve()


def languages() -> list:
    return sorted(
        (lang for lang in pycountry.languages if getattr(lang, "alpha_2", None)),
        key=lambda lang: lang.alpha_2,
    )


def language_names() -> list[tuple[str, str]]:
    table = Table("language")
    trans = translators("iso639-3")
    for language in languages():
        code = language.alpha_2
        for attr in ("name", "common_name"):
            english = getattr(language, attr, None)
            if not english:
                continue
            variants = [(english, f"en {attr}")]
            for lang, tr in trans:
                translated = tr.gettext(english)
                if translated != english:
                    variants.append((translated, f"{lang} {attr}"))
            for text, source in variants:
                table.add(text, code, source)
                # "Malay (macrolanguage)" is typed "Malay".
                stripped = TRAILING_PAREN.sub("", text)
                if stripped and stripped != text:
                    table.add(stripped, code, f"{source} without parenthetical")
    known = {lang.alpha_2 for lang in languages()}
    for code, names in LANGUAGE_ALIASES.items():
        if code not in known:
            sys.exit(f"error: alias code {code!r} is not an ISO 639-1 code")
        for name in names:
            table.add(name, code, "alias")
    return table.resolve()


def rust_str(text: str) -> str:
    out = []
    for c in text:
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            out.append(f"\\u{{{ord(c):x}}}")
    return '"' + "".join(out) + '"'


def comment_text(text: str) -> str:
    return " ".join(text.split())


TESTS = """
#[cfg(test)]
mod tests {
    use super::*;

    fn country(folded: &str) -> Option<&'static str> {
        COUNTRY_NAMES
            .binary_search_by(|(name, _)| (*name).cmp(folded))
            .ok()
            .map(|i| COUNTRY_NAMES[i].1)
    }

    fn language(folded: &str) -> Option<&'static str> {
        LANGUAGE_NAMES
            .binary_search_by(|(name, _)| (*name).cmp(folded))
            .ok()
            .map(|i| LANGUAGE_NAMES[i].1)
    }

    fn is_folded(name: &str) -> bool {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() && !c.is_uppercase())
    }

    #[test]
    fn country_names_sorted_and_unique() {
        assert!(!COUNTRY_NAMES.is_empty());
        for pair in COUNTRY_NAMES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} !< {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn country_entries_well_formed() {
        for (name, code) in COUNTRY_NAMES {
            assert!(is_folded(name), "{name:?} is not folded");
            assert!(
                code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()),
                "{name:?} has a bad code {code:?}"
            );
        }
    }

    #[test]
    fn language_codes_sorted_and_unique() {
        assert!(!LANGUAGE_CODES.is_empty());
        for pair in LANGUAGE_CODES.windows(2) {
            assert!(pair[0] < pair[1], "{:?} !< {:?}", pair[0], pair[1]);
        }
        for code in LANGUAGE_CODES {
            assert!(
                code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()),
                "bad language code {code:?}"
            );
        }
    }

    #[test]
    fn language_names_sorted_unique_and_known() {
        assert!(!LANGUAGE_NAMES.is_empty());
        for pair in LANGUAGE_NAMES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} !< {:?}", pair[0], pair[1]);
        }
        for (name, code) in LANGUAGE_NAMES {
            assert!(is_folded(name), "{name:?} is not folded");
            assert!(
                LANGUAGE_CODES.binary_search(code).is_ok(),
                "{name:?} maps to unknown code {code:?}"
            );
        }
    }

    #[test]
    fn well_known_countries() {
        assert_eq!(country("brasil"), Some("BR"));
        assert_eq!(country("ecuador"), Some("EC"));
        assert_eq!(country("estadosunidos"), Some("US"));
        assert_eq!(country("espana"), Some("ES"));
        assert_eq!(country("malasia"), Some("MY"));
        assert_eq!(country("saotomeeprincipe"), Some("ST"));
        assert_eq!(country("cotedivoire"), Some("CI"));
        assert_eq!(country("korearepublicof"), Some("KR"));
        assert_eq!(country("usa"), Some("US"));
        assert_eq!(country("uk"), Some("GB"));
        assert_eq!(country("atlantis"), None);
    }

    #[test]
    fn well_known_languages() {
        assert_eq!(language("portugues"), Some("pt"));
        assert_eq!(language("espanol"), Some("es"));
        assert_eq!(language("english"), Some("en"));
        assert_eq!(language("malay"), Some("ms"));
        assert_eq!(language("chinese"), Some("zh"));
        assert_eq!(language("klingon"), None);
    }
}
"""


def render() -> tuple[str, dict[str, int]]:
    countries = country_names()
    codes = languages()
    lang_names = language_names()

    version = metadata.version("pycountry")
    out = [
        "// @generated by infra/scripts/gen-geo-data.py from pycountry's ISO 3166-1",
        f"// and ISO 639 data (pycountry {version}). Do not edit by hand: change the",
        "// script and rerun it.",
        "//",
        "// Names are folded: Unicode NFKD, combining marks (Mn) dropped, lowercased,",
        "// only alphanumeric characters kept. Every slice is sorted by its first",
        "// field, so look names up with `binary_search_by`.",
        "",
        "/// (folded country name, ISO 3166-1 alpha-2 code), sorted by name, names",
        "/// unique. English, Spanish and Portuguese names plus common aliases.",
        "pub static COUNTRY_NAMES: &[(&str, &str)] = &[",
    ]
    out += [f"    ({rust_str(name)}, {rust_str(code)})," for name, code in countries]
    out += [
        "];",
        "",
        "/// Every ISO 639-1 (two-letter) language code, sorted.",
        "pub static LANGUAGE_CODES: &[&str] = &[",
    ]
    out += [
        f"    {rust_str(lang.alpha_2)}, // {comment_text(lang.name)}" for lang in codes
    ]
    out += [
        "];",
        "",
        "/// (folded language name, ISO 639-1 code), sorted by name, names unique.",
        "/// English, Spanish and Portuguese names plus common aliases.",
        "pub static LANGUAGE_NAMES: &[(&str, &str)] = &[",
    ]
    out += [f"    ({rust_str(name)}, {rust_str(code)})," for name, code in lang_names]
    out.append("];")
    text = "\n".join(out) + "\n" + TESTS
    counts = {
        "COUNTRY_NAMES": len(countries),
        "LANGUAGE_CODES": len(codes),
        "LANGUAGE_NAMES": len(lang_names),
    }
    return text, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the output file differs from what would be generated",
    )
    args = parser.parse_args()

    text, counts = render()
    summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is stale; rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({summary})")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, args.output)
    print(f"wrote {args.output} ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
