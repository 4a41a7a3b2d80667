"""Scoring schemes as configuration: no score, or points per answer, a maximum and bands.

Reviews differ here (CASP itself recommends no score, the default "none"; some count the
Yes answers, "count_yes"; the seed review scored Yes = 2, Can't tell = 1, No = 0 out of
20 with bands > 15, 10–15, < 10, "weighted_bands"), so a scheme is data:

    [scoring.weighted_bands]
    name = "Yes = 2, Can't tell = 1, No = 0"
    points = { yes = 2, cant_tell = 1, no = 0 }
    max = 20
    [[scoring.weighted_bands.bands]]
    label = "very valuable"
    above = 15          # lower bound, exclusive   (or: min = 16, inclusive)
    max = 20            # upper bound, inclusive   (or: below = 21, exclusive)

Bands are checked when the scheme is built: every score from 0 to the maximum falls in
exactly one band, so "15" can never be both "valuable" and "very valuable" or neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from reviewflow.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from reviewflow.stages.appraisal.checklists import Appraisal, Checklist


@dataclass(frozen=True)
class Band:
    """A labelled score range; each bound is inclusive or exclusive, or open (None)."""

    label: str
    lower: float | None = None
    lower_inclusive: bool = True
    upper: float | None = None
    upper_inclusive: bool = True

    def contains(self, score: float) -> bool:
        if self.lower is not None:
            if score < self.lower or (score == self.lower and not self.lower_inclusive):
                return False
        if self.upper is not None:
            if score > self.upper or (score == self.upper and not self.upper_inclusive):
                return False
        return True

    def describe(self) -> str:
        """The range in words, e.g. '> 15 and ≤ 20'."""
        parts = []
        if self.lower is not None:
            parts.append(f"{'≥' if self.lower_inclusive else '>'} {self.lower:g}")
        if self.upper is not None:
            parts.append(f"{'≤' if self.upper_inclusive else '<'} {self.upper:g}")
        return " and ".join(parts) or "any score"


@dataclass(frozen=True)
class ScoringScheme:
    """Points per answer option, the maximum and bands; no points means no score."""

    id: str
    name: str
    points: Mapping[str, float]
    max: float | None
    bands: tuple[Band, ...] = ()

    @property
    def scores(self) -> bool:
        return bool(self.points)

    def band_for(self, score: float) -> Band | None:
        for band in self.bands:
            if band.contains(score):
                return band
        return None


@dataclass(frozen=True)
class Score:
    """A scored appraisal: points, the maximum and the band label (None without a score)."""

    study: str
    scheme: str
    points: float | None
    max: float | None
    band: str | None

    def __str__(self) -> str:
        if self.points is None:
            return "not scored"
        band = f" [{self.band}]" if self.band else ""
        return f"{self.points:g}/{self.max:g}{band}"


def _band(raw: Mapping[str, Any], where: str) -> Band:
    unknown = set(raw) - {"label", "min", "above", "max", "below"}
    if unknown or not raw.get("label"):
        raise InputError(f"{where}: a band has 'label' and bounds min/above and max/below")
    if ("min" in raw and "above" in raw) or ("max" in raw and "below" in raw):
        raise InputError(f"{where}: band {raw['label']!r} has two lower or two upper bounds")
    lower = raw.get("min", raw.get("above"))
    upper = raw.get("max", raw.get("below"))
    return Band(
        str(raw["label"]),
        None if lower is None else float(lower),
        "above" not in raw,
        None if upper is None else float(upper),
        "below" not in raw,
    )


def _check_bands(bands: tuple[Band, ...], maximum: float, where: str) -> None:
    bounds = {0.0, float(maximum)}
    for b in bands:
        bounds.update(x for x in (b.lower, b.upper) if x is not None and 0 <= x <= maximum)
    points = sorted(bounds)
    probes = points + [(a + b) / 2 for a, b in pairwise(points)]
    for score in probes:
        hits = [b.label for b in bands if b.contains(score)]
        if len(hits) != 1:
            what = "no band" if not hits else "bands " + ", ".join(repr(h) for h in hits)
            raise InputError(
                f"{where}: score {score:g} falls in {what}",
                hint="Bands must cover 0 to the maximum once each; use above/below for '>'/'<'.",
            )


def scheme_from_dict(
    raw: Mapping[str, Any], checklist: Checklist, *, scheme_id: str, source: str = "<scheme>"
) -> ScoringScheme:
    """Build and check a scheme for ``checklist`` (also for schemes set in review.toml)."""
    where = f"{source}: scoring scheme {scheme_id!r}"
    points = {str(k): float(v) for k, v in dict(raw.get("points", {})).items()}
    bands_raw = list(raw.get("bands", ()))
    if not points:
        if bands_raw or "max" in raw:
            raise InputError(f"{where}: bands or max need 'points'")
        return ScoringScheme(scheme_id, str(raw.get("name", scheme_id)), {}, None)
    options = {o.id for o in checklist.options}
    if set(points) != options:
        raise InputError(
            f"{where}: 'points' must give every answer option exactly: {', '.join(sorted(options))}"
        )
    reachable = max(points.values()) * len(checklist.items)
    maximum = float(raw.get("max", reachable))
    if maximum != reachable:
        raise InputError(
            f"{where}: max is {maximum:g} but {len(checklist.items)} items × "
            f"{max(points.values()):g} points reach {reachable:g}"
        )
    bands = tuple(_band(b, where) for b in bands_raw)
    if bands:
        _check_bands(bands, maximum, where)
    return ScoringScheme(scheme_id, str(raw.get("name", scheme_id)), points, maximum, bands)


#: Older names of built-in schemes, still accepted in review.toml.
ALIASES = {"seed": "weighted_bands", "yes_count": "count_yes"}


def scheme(checklist: Checklist, scheme_id: str) -> ScoringScheme:
    """A scheme declared in the checklist file, by id (e.g. ``none``, ``count_yes`` or
    ``weighted_bands``; an older name in :data:`ALIASES` finds its new one)."""
    if scheme_id not in checklist.schemes and ALIASES.get(scheme_id) in checklist.schemes:
        scheme_id = ALIASES[scheme_id]
    if scheme_id not in checklist.schemes:
        raise NotFoundError(
            f"checklist {checklist.id} has no scoring scheme {scheme_id!r}",
            hint="Schemes: " + ", ".join(checklist.schemes) + " (set [appraisal] scheme = "
            '"..." in review.toml, or define your own under [appraisal.scoring]).',
        )
    return scheme_from_dict(checklist.schemes[scheme_id], checklist, scheme_id=scheme_id)


def score(checklist: Checklist, scoring: ScoringScheme, appraisal: Appraisal) -> Score:
    """Points and band of a (consensus) appraisal; an unscored scheme gives points None."""
    if appraisal.checklist_id != checklist.id:
        raise InputError(
            f"appraisal of {appraisal.study} uses {appraisal.checklist_id}, not {checklist.id}"
        )
    if not scoring.scores:
        return Score(appraisal.study, scoring.id, None, None, None)
    missing = [i for i in checklist.item_ids if i not in appraisal.answers]
    if missing:
        raise InputError(f"appraisal of {appraisal.study}: unanswered {', '.join(missing)}")
    total = sum(scoring.points[appraisal.answers[i]] for i in checklist.item_ids)
    band = scoring.band_for(total)
    return Score(appraisal.study, scoring.id, total, scoring.max, band.label if band else None)
