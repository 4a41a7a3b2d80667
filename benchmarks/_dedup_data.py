"""Read a labelled dedup set (layout of ../shared/data/dedup/) and score a result.

Scoring is record level, exactly as ../shared/data/README.md (after Hair et al. 2023 and
bib-dedupe) says: which records survive deduplication?
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Iterable
from pathlib import Path

from reviewflow.records import Record, clean, normalize_doi, parse_year

csv.field_size_limit(10**9)


def split_authors(value: str | None) -> list[str]:
    """BibTeX-style author field to a list ("A and B", "A; B", or one run-together string)."""
    value = clean(value)
    if not value:
        return []
    if " and " in value:
        return [a.strip() for a in value.split(" and ") if a.strip()]
    if ";" in value:
        return [a.strip() for a in value.split(";") if a.strip()]
    return [value]


def row_to_record(row: dict[str, str], record_id: int) -> Record:
    """Map one BibTeX-style CSV row to a Record (unmapped columns go to ``extra``)."""
    get = row.get
    entrytype = clean(get("ENTRYTYPE"))
    source = clean(get("journal")) or clean(get("booktitle"))
    record = Record(
        title=clean(get("title")),
        abstract=clean(get("abstract")),
        authors=split_authors(get("author")),
        year=parse_year(get("year")),
        source_title=source,
        volume=clean(get("volume")),
        issue=clean(get("number")) or clean(get("issue")),
        pages=clean(get("pages")),
        doi=normalize_doi(get("doi")),
        isbn=clean(get("isbn")),
        url=clean(get("url")),
        publication_type=entrytype,
        id=record_id,
    )
    known = {"title", "abstract", "author", "year", "journal", "booktitle", "volume", "number"}
    known |= {"issue", "pages", "doi", "isbn", "url", "ENTRYTYPE", "ID"}
    record.extra = {k: [v] for k, v in row.items() if k not in known and clean(v)}
    return record


def load_set(directory: Path) -> tuple[list[Record], list[str]]:
    """Records of one set with integer ids 0..n-1, and the set's own ID for each."""
    with gzip.open(directory / "records_pre_merged.csv.gz", "rt", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    records = [row_to_record(row, i) for i, row in enumerate(rows)]
    return records, [row["ID"] for row in rows]


def load_truth(directory: Path) -> list[list[str]]:
    """True duplicate groups as lists of the set's IDs."""
    with gzip.open(directory / "merged_record_ids.csv.gz", "rt", encoding="utf-8") as fh:
        return [row["merged_ids"].split(";") for row in csv.DictReader(fh)]


def score(all_ids: Iterable[str], truth: list[list[str]], removed: set[str]) -> dict[str, float]:
    """TP/FP/FN/TN and rates from the set of removed record IDs (record-level scoring)."""
    tp = fp = fn = tn = 0
    grouped: set[str] = set()
    for group in truth:
        members = [m for m in group if m]
        grouped.update(members)
        k = len(members)
        survivors = sum(1 for m in members if m not in removed)
        if survivors == 0:
            fp += 1
            tp += k - 1
        else:
            tn += 1
            fn += survivors - 1
            tp += k - survivors
    for record_id in all_ids:
        if record_id not in grouped:
            if record_id in removed:
                fp += 1
            else:
                tn += 1
    return rates({"TP": tp, "FP": fp, "FN": fn, "TN": tn})


def rates(c: dict[str, float]) -> dict[str, float]:
    """Add sensitivity, specificity, precision and F1 to TP/FP/FN/TN counts."""
    tp, fp, fn, tn = c["TP"], c["FP"], c["FN"], c["TN"]
    out = dict(c)
    out["sensitivity"] = tp / (tp + fn) if tp + fn else math.nan
    out["specificity"] = tn / (tn + fp) if tn + fp else math.nan
    out["precision"] = tp / (tp + fp) if tp + fp else math.nan
    sens, prec = out["sensitivity"], out["precision"]
    out["F1"] = 2 * prec * sens / (prec + sens) if prec + sens else math.nan
    return out
