"""The seed review's thematic synthesis, built through the public synthesis functions.

Reads ``demo/data/synthesis.toml``: six studies, two analytical and seven descriptive
themes, exemplar codes, every fragment the seed cites, and the sentences in which the
review attributes a theme to studies. Each cited fragment becomes a findings segment of
its study (one line each), coded with its exemplar code by the seed's coder (MC) and
linked to its theme as a supporting quote; each attributing sentence becomes an
author-text segment of every study it cites, coded the same way (the studies' own
findings sections are not bundled). The matrix is then derived from the applications,
and ``compare_with_published`` shows any theme whose derived studies differ from the
text's.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from ..project import Project
from ..stages import studies
from ..stages.synthesis import codes, findings, themes
from ..stages.synthesis.segments import Block


def load_seed() -> dict[str, Any]:
    text = resources.files("reviewflow.demo").joinpath("data/synthesis.toml").read_text("utf-8")
    return tomllib.loads(text)


def build_seed(project: Project, *, reviewer: str = "MC") -> dict[str, Any]:
    """Create the seed's studies, findings, codes, themes and quotes; returns the ids."""
    seed = load_seed()
    study_ids: dict[int, int] = {}
    for study in seed["studies"]:  # an existing study of the same label is reused
        study_ids[study["ref"]] = studies.add_study(project, study["label"])
    for ref, sid in study_ids.items():
        fragments = [q["text"] for q in seed["quotes"] if q["study"] == ref]
        if fragments:
            blocks = [Block(t, section="cited in the seed review") for t in fragments]
            findings.store_blocks(
                project, sid, blocks, file_name=f"seed-cited-{ref}.txt", unit="line"
            )
        attributed = [a["text"] for a in seed.get("attributions", []) if ref in a["studies"]]
        if attributed:
            blocks = [Block(t, section="attributed in the seed review") for t in attributed]
            findings.store_blocks(
                project, sid, blocks, file_name=f"seed-attributed-{ref}.txt", unit="line"
            )
    code_ids: dict[str, int] = {}
    for theme in seed["themes"]:
        for code in theme.get("codes", []):
            code_ids[code["name"]] = codes.create_code(
                project, code["name"], memo=code.get("memo"), reviewer=reviewer
            )
    theme_ids: dict[str, int] = {}
    for theme in seed["themes"]:
        reported = theme.get("reported_studies")
        theme_ids[theme["label"]] = themes.create_theme(
            project,
            theme["name"],
            kind=theme["kind"],
            description=" ".join(theme["description"].split()),
            label=theme["label"],
            parent=theme_ids[theme["parent"]] if "parent" in theme else None,
            codes=[code_ids[c["name"]] for c in theme.get("codes", [])],
            reported_studies=[study_ids[r] for r in reported] if reported else None,
        )
    segments = findings.list_segments(project)
    by_text = {(s["study_id"], s["text"]): s["id"] for s in segments}
    for quote in seed["quotes"]:
        segment_id = by_text[(study_ids[quote["study"]], quote["text"].strip())]
        codes.apply_code(project, segment_id, code_ids[quote["code"]], reviewer=reviewer)
        themes.add_quote(project, theme_ids[quote["theme"]], segment_id=segment_id)
    for attribution in seed.get("attributions", []):
        for ref in attribution["studies"]:
            segment_id = by_text[(study_ids[ref], attribution["text"].strip())]
            codes.apply_code(project, segment_id, code_ids[attribution["code"]], reviewer=reviewer)
    return {"studies": study_ids, "codes": code_ids, "themes": theme_ids}


def compare_with_published(project: Project) -> list[dict[str, Any]]:
    """Per theme: studies the seed text reports it for vs studies the coded data give."""
    rows = []
    for row in themes.matrix(project):
        reported = row.reported_studies
        rows.append(
            {
                "label": row.label,
                "name": row.name,
                "reported": reported,
                "derived": row.studies,
                "reported_not_derived": sorted(set(reported or []) - set(row.studies)),
                "derived_not_reported": sorted(set(row.studies) - set(reported or []))
                if reported
                else [],
            }
        )
    return rows
