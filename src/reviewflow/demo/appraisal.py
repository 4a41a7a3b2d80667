"""The seed review's CASP appraisals as data (``reviewflow/demo/data/appraisals.toml``).

Two independent appraisals per study and the recorded resolutions, so the demo and the
tests derive the published scores through :func:`consensus` and :func:`score`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from reviewflow.stages.appraisal.checklists import (
    Appraisal,
    Checklist,
    builtin_checklist,
    make_appraisal,
)
from reviewflow.stages.appraisal.scoring import ScoringScheme, scheme


@dataclass(frozen=True)
class SeedAppraisals:
    """The checklist, scheme, both appraisers' answers, resolutions and published scores."""

    checklist: Checklist
    scheme: ScoringScheme
    consensus_by: str
    first: dict[str, Appraisal]
    second: dict[str, Appraisal]
    resolutions: dict[str, dict[str, str]]
    published: dict[str, tuple[int, str]]


def load_seed_appraisals() -> SeedAppraisals:
    """The seed's six studies appraised by MC and JS with CASP Qualitative."""
    path = resources.files("reviewflow.demo") / "data" / "appraisals.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    checklist = builtin_checklist(data["checklist"])
    one, two = data["appraisers"]
    first, second, resolutions, published = {}, {}, {}, {}
    for study in data["studies"]:
        sid = study["id"]
        first[sid] = make_appraisal(checklist, sid, one, study[one])
        second[sid] = make_appraisal(checklist, sid, two, study[two])
        resolutions[sid] = dict(study.get("resolutions", {}))
        published[sid] = (study["published_score"], study["published_band"])
    return SeedAppraisals(
        checklist,
        scheme(checklist, data["scheme"]),
        data["consensus_by"],
        first,
        second,
        resolutions,
        published,
    )
