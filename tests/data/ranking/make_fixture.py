"""Writes screening_small.csv: a synthetic labelled set for the ranking tests.

Includes talk about social prescribing and mental health in varied words; excludes are
drawn from unrelated clinical topics plus a few near-misses that share some vocabulary.
Run: python tests/data/ranking/make_fixture.py
"""

import csv
import random
from pathlib import Path

INCLUDE_TERMS = [
    "social prescribing",
    "link worker",
    "community referral",
    "loneliness",
    "mental health",
    "wellbeing",
    "depression",
    "anxiety",
    "arts on prescription",
    "green prescription",
    "primary care",
    "qualitative interviews",
    "participants",
]
EXCLUDE_TOPICS = [
    ["knee arthroplasty", "implant", "revision surgery", "orthopaedic", "range of motion"],
    ["insulin pump", "glycaemic control", "type 1 diabetes", "HbA1c", "continuous monitoring"],
    ["coronary stent", "angioplasty", "myocardial infarction", "troponin", "cardiology"],
    ["antibiotic resistance", "sepsis", "bacterial culture", "intensive care", "mortality"],
    ["retinal imaging", "glaucoma", "intraocular pressure", "optic nerve", "screening"],
    ["dental caries", "fluoride varnish", "oral health", "children", "school programme"],
]
FILLER = ["study", "results", "methods", "patients", "outcome", "trial", "analysis", "cohort"]


def sentence(rng: random.Random, terms: list[str], n: int) -> str:
    words = [rng.choice(terms) if rng.random() < 0.6 else rng.choice(FILLER) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def main() -> None:
    rng = random.Random(7)
    rows = []
    for i in range(400):
        if i % 20 == 0:  # 20 includes
            title = sentence(rng, INCLUDE_TERMS, 7)
            abstract = " ".join(sentence(rng, INCLUDE_TERMS, 12) for _ in range(3))
            label = 1
        else:
            topic = rng.choice(EXCLUDE_TOPICS)
            mix = topic + (["mental health", "primary care"] if i % 7 == 0 else [])
            title = sentence(rng, mix, 7)
            abstract = " ".join(sentence(rng, mix, 12) for _ in range(3))
            label = 0
        rows.append(
            {"record_id": i + 1, "title": title, "abstract": abstract, "label_included": label}
        )
    rng.shuffle(rows)
    out = Path(__file__).with_name("screening_small.csv")
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
