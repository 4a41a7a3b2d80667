"""Generate a large BibTeX library and the same records as RIS, for benchmarks and tests.

The entries look like what reference managers write, in turn:

* Zotero: tab-indented ``field = {value},``, ``{Capitals}`` protected in titles, ``month = jun``
  macros, accents in LaTeX (``M{\\"u}ller``), ``pages = {12--20}``, a trailing comma;
* JabRef: aligned ``field     = {value}``, ``@String`` macros for journals used as
  ``journal = jnl3``, ``#`` concatenation, ``@Comment{jabref-meta: ...}`` at the end;
* Mendeley: quoted ``"values"``, bare numbers (``year = 2019``), ``keywords = {a; b}``,
  ``url``/``doi``/``file`` fields, ``\\&`` and ``\\%`` escapes.

Each record is also returned in plain Unicode, so a test can check what a parser reads.
Deterministic for a given seed. No external data needed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

_SURNAMES = [
    ("Müller", r"M{\"u}ller"), ("García", r"Garc{\'\i}a"), ("Østergaard", r"{\O}stergaard"),
    ("Smith", "Smith"), ("Nguyen", "Nguyen"), ("Brontë", r"Bront{\"e}"), ("Kowalski", "Kowalski"),
    ("Jönsson", r"J{\"o}nsson"), ("O'Brien", "O'Brien"), ("Čapek", r"{\v C}apek"),
    ("Thomas", "Thomas"), ("Harden", "Harden"), ("Lefèvre", r"Lef{\`e}vre"), ("Chen", "Chen"),
    ("Husk", "Husk"), ("Lovell", "Lovell"), ("Ibáñez", r"Ib{\'a}{\~n}ez"), ("Okafor", "Okafor"),
    ("Şahin", r"{\c S}ahin"), ("Dubois", "Dubois"), ("Andersen", "Andersen"), ("Patel", "Patel"),
]  # fmt: skip
_GIVEN = [
    ("Jörg", r"J{\"o}rg"), ("María", r"Mar{\'\i}a"), ("Søren", r"S{\o}ren"), ("Kerryn", "Kerryn"),
    ("James", "James"), ("Angela", "Angela"), ("Zoë", r"Zo{\"e}"), ("François", r"Fran{\c c}ois"),
    ("Anna", "Anna"), ("Li", "Li"), ("Rebecca", "Rebecca"), ("José", r"Jos{\'e}"),
]  # fmt: skip
_WORDS = (
    "social prescribing loneliness older adults mental health wellbeing community link "
    "workers primary care intervention qualitative synthesis realist review evaluation "
    "programme outcomes depression anxiety isolation participation arts nature referral "
    "general practice volunteers carers resilience trial cohort barriers facilitators"
).split()
_CAPS = ["COVID-19", "UK", "NHS", "England", "Scotland", "GP", "RCT", "Europe"]
_JOURNALS = [
    "Health and Social Care in the Community", "BMC Public Health", "BMJ Open",
    "Journal of Public Health", "Ageing \\& Society", "Social Science \\& Medicine",
    "Scandinavian Journal of Public Health", "The Lancet Psychiatry",
]  # fmt: skip
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_TYPES = ["article"] * 8 + ["inproceedings", "book", "incollection", "phdthesis", "misc"]


@dataclass
class GenRecord:
    """One generated record, in plain text, and its entry in BibTeX."""

    key: str
    type: str
    authors: list[str]
    title: str
    journal: str
    year: int
    volume: str
    number: str
    pages: str
    doi: str
    abstract: str
    keywords: list[str] = field(default_factory=list)
    bibtex: str = ""


def _sentence(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(_WORDS) for _ in range(n)]


def generate(n: int, *, seed: int = 20) -> Iterator[GenRecord]:
    """``n`` records, each with its BibTeX text in one of three reference managers' styles."""
    rng = random.Random(seed)
    for i in range(n):
        style = i % 3
        names = [(rng.choice(_SURNAMES), rng.choice(_GIVEN)) for _ in range(rng.randint(1, 6))]
        words = _sentence(rng, rng.randint(5, 14))
        caps = rng.choice(_CAPS)
        words[0] = words[0].capitalize()
        plain_title = " ".join([*words[:2], caps, *words[2:]])
        head, *rest = plain_title.split(" ")
        latex_title = " ".join([head, *("{" + w + "}" if w == caps else w for w in rest)])
        jn = rng.randrange(len(_JOURNALS))
        journal = _JOURNALS[jn].replace("\\&", "&")
        year = rng.randint(1995, 2024)
        first = rng.randint(1, 900)
        pages = f"{first}-{first + rng.randint(3, 20)}"
        volume, number = str(rng.randint(1, 60)), str(rng.randint(1, 12))
        doi = f"10.{rng.randint(1000, 9999)}/rf.{year}.{i:06d}"
        abstract = (
            " ".join(_sentence(rng, rng.randint(20, 60))).capitalize()
            + f". About 50% of {caps} participants & carers."
        )
        latex_abstract = abstract.replace("%", r"\%").replace("&", r"\&")
        keywords = sorted(set(_sentence(rng, rng.randint(0, 4))))
        etype = rng.choice(_TYPES)
        surname = "".join(c for c in names[0][0][0].lower() if c.isascii() and c.isalnum())
        key = f"{surname}_{words[0].lower()}_{year}_{i}"
        authors = [f"{s[0]}, {g[0]}" for s, g in names]
        latex_authors = " and ".join(f"{s[1]}, {g[1]}" for s, g in names)
        month = rng.choice(_MONTHS)
        if style == 0:  # Zotero
            fields = [
                ("title", "{" + latex_title + "}"),
                ("volume", "{" + volume + "}"),
                ("doi", "{" + doi + "}"),
                ("journal", "{" + _JOURNALS[jn] + "}"),
                ("author", "{" + latex_authors + "}"),
                ("month", month),
                ("year", "{" + str(year) + "}"),
                ("pages", "{" + pages.replace("-", "--") + "}"),
                ("number", "{" + number + "}"),
                ("keywords", "{" + ", ".join(keywords) + "}"),
                ("abstract", "{" + latex_abstract + "}"),
            ]
            body = "".join(f"\t{k} = {v},\n" for k, v in fields if v != "{}")
            text = f"@{etype}{{{key},\n{body}}}\n"
        elif style == 1:  # JabRef, journal via @String
            fields = [
                ("author", "{" + latex_authors + "}"),
                ("title", "{" + latex_title + "}"),
                ("journal", f"jnl{jn}"),
                ("year", str(year)),
                ("volume", "{" + volume + "}"),
                ("number", "{" + number + "}"),
                ("pages", "{" + pages.replace("-", "--") + "}"),
                ("month", month),
                ("doi", "{" + doi + "}"),
                ("abstract", "{" + latex_abstract + "}"),
                ("keywords", "{" + ", ".join(keywords) + "}"),
            ]
            body = ",\n".join(f"  {k:<9} = {v}" for k, v in fields if v != "{}")
            text = f"@{etype.capitalize()}{{{key},\n{body}\n}}\n"
        else:  # Mendeley
            fields = [
                ("abstract", '"' + latex_abstract + '"'),
                ("author", '"' + latex_authors + '"'),
                ("doi", "{" + doi + "}"),
                ("journal", '{' + _JOURNALS[jn] + '}'),
                ("keywords", "{" + "; ".join(keywords) + "}"),
                ("month", month + ' # "~1"'),
                ("number", "{" + number + "}"),
                ("pages", "{" + pages + "}"),
                ("title", "{{" + latex_title + "}}"),
                ("url", "{https://doi.org/" + doi + "}"),
                ("volume", "{" + volume + "}"),
                ("year", str(year)),
            ]
            body = ",\n".join(f"{k} = {v}" for k, v in fields if v not in ("{}", '""'))
            text = f"@{etype}{{{key},\n{body}\n}}\n"
        yield GenRecord(
            key, etype, authors, plain_title, journal, year, volume, number, pages, doi,
            abstract, keywords, text,
        )  # fmt: skip


def header() -> str:
    """The ``@String`` block a JabRef library starts with (and a comment, as Zotero writes)."""
    lines = ["% Encoding: UTF-8", ""]
    lines += [f"@String{{jnl{i} = {{{name}}}}}" for i, name in enumerate(_JOURNALS)]
    return "\n".join(lines) + "\n\n"


def write_bibtex(records: Iterable[GenRecord], path: Path) -> int:
    """Write the library; returns the number of entries."""
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(header())
        for rec in records:
            fh.write(rec.bibtex + "\n")
            n += 1
        fh.write("@Comment{jabref-meta: databaseType:bibtex;}\n")
    return n


def write_ris(records: Iterable[GenRecord], path: Path) -> int:
    """The same records as RIS, for a like-for-like figure."""
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write("TY  - JOUR\n")
            for author in rec.authors:
                fh.write(f"AU  - {author}\n")
            for tag, value in (
                ("TI", rec.title), ("T2", rec.journal), ("PY", str(rec.year)),
                ("VL", rec.volume), ("IS", rec.number), ("SP", rec.pages), ("DO", rec.doi),
                ("AB", rec.abstract),
            ):  # fmt: skip
                fh.write(f"{tag}  - {value}\n")
            for kw in rec.keywords:
                fh.write(f"KW  - {kw}\n")
            fh.write(f"ID  - {rec.key}\nER  - \n\n")
            n += 1
    return n
