"""The seed review's extraction as data (``reviewflow/demo/data/extraction.toml``).

Loaded through the same functions a team uses (form validation, pilot, verification), so
the demo project and the tests replay the seed's workflow rather than inserting values.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from reviewflow.stages.extraction.forms import Extraction, Form, builtin_form, make_extraction
from reviewflow.stages.extraction.verify import Resolution, Verification, agree, propose


@dataclass(frozen=True)
class SeedExtraction:
    """Everything the seed's extraction stage needs, built through the public functions."""

    form: Form
    labels: dict[str, str]
    extractions: dict[str, Extraction]
    pilot_first: list[Extraction]
    pilot_second: list[Extraction]
    verifications: dict[str, Verification]
    resolutions: dict[str, list[Resolution]]


def _data() -> dict[str, Any]:
    path = resources.files("reviewflow.demo") / "data" / "extraction.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def load_seed_extraction() -> SeedExtraction:
    """The seed's six studies extracted (MC), piloted (MC, CJ) and verified (KA)."""
    data = _data()
    form = builtin_form(data["form"])
    extractor, verifier = data["extractor"], data["verifier"]
    labels, extractions, raw = {}, {}, {}
    for study in data["studies"]:
        sid = study["id"]
        labels[sid] = study["label"]
        raw[sid] = study["answers"]
        extractions[sid] = make_extraction(
            form, sid, extractor, study["answers"], notes=study.get("notes")
        )
    pilot = data["pilot"]
    second_name = pilot["reviewers"][1]
    pilot_first = [extractions[s] for s in pilot["studies"]]
    pilot_second = [
        make_extraction(
            form, s, second_name, {**raw[s], **pilot.get("second_differs", {}).get(s, {})}
        )
        for s in pilot["studies"]
    ]
    proposals: dict[str, dict[str, Any]] = {}
    for item in data.get("verification", ()):
        proposals.setdefault(item["study"], {})[item["field"]] = item
    verifications = {}
    for sid in extractions:
        checks = []
        for fld in form.fields:
            item = proposals.get(sid, {}).get(fld.id)
            checks.append(
                propose(fld.id, item["value"], item.get("note", "")) if item else agree(fld.id)
            )
        verifications[sid] = Verification(sid, verifier, tuple(checks))
    resolutions: dict[str, list[Resolution]] = {sid: [] for sid in extractions}
    for item in data.get("resolution", ()):
        resolutions[item["study"]].append(
            Resolution(item["field"], item["value"], item["by"], item.get("note", ""))
        )
    return SeedExtraction(
        form, labels, extractions, pilot_first, pilot_second, verifications, resolutions
    )
