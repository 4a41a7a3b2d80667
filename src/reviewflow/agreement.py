"""Inter-rater agreement on independently screened items: pure functions, no database.

Screening plans double-screen a sample (title/abstract) or every report (full text), and
the review must report how well reviewers agreed *before* arbitration: percent agreement,
Cohen's κ with a 95 % CI, PABAK, Gwet's AC1 per reviewer pair, Fleiss' κ when three or
more reviewers rated the same items, and Krippendorff's α (which tolerates missing ratings).

Why written here rather than called: statsmodels' ``cohens_kappa`` and ``fleiss_kappa`` need
contingency tables, fail on one-category data and on missing ratings, and have no AC1;
the ``krippendorff`` package is a dev dependency only. The formulas are short and every one
is tested against those packages and against published worked examples.

Degenerate data never raises: a coefficient that is undefined (no items, or every rating
in one category so chance agreement is 1) is ``None`` with a ``reason`` saying why.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations

import numpy as np

from reviewflow.errors import InputError

#: z for a two-sided 95 % normal interval.
Z95 = 1.959963984540054
#: Decisions after collapsing: the two categories every screening statistic uses.
SCREENING_CATEGORIES: tuple[str, str] = ("include", "exclude")

_COLLAPSE = {"include": "include", "maybe": "include", "exclude": "exclude"}
_LANDIS_KOCH = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"))


@dataclass(frozen=True)
class KappaResult:
    """Cohen's κ with its large-sample SE and 95 % CI; ``None`` fields are undefined."""

    kappa: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    observed: float | None
    expected: float | None
    n: int
    reason: str | None = None


@dataclass(frozen=True)
class AC1Result:
    """Gwet's AC1 with its SE (Gwet 2008) and a normal 95 % CI clipped to [−1, 1]."""

    ac1: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    observed: float | None
    expected: float | None
    n: int
    reason: str | None = None


def collapse_maybe(decision: str) -> str:
    """Map a screening decision to include/exclude; "maybe" counts as include.

    Reviewers report agreement on whether an item goes forward, and a "maybe" goes forward.
    """
    key = str(decision).strip().lower()
    if key not in _COLLAPSE:
        raise InputError(
            f"unknown screening decision {decision!r}",
            hint="Use include, exclude or maybe, or pass collapse=False to keep raw labels.",
        )
    return _COLLAPSE[key]


def landis_koch(kappa: float | None) -> str | None:
    """Landis & Koch (1977) label: poor < 0 ≤ slight ≤ .20 < fair ≤ .40 < moderate ≤ .60
    < substantial ≤ .80 < almost perfect.

    Each band includes its upper bound (0.40 is "fair", 0.41 "moderate"), as in the published
    ranges 0.21–0.40 etc.; κ is rounded to 10 decimals first so float noise in an exact
    0.40 cannot move it to the next band. ``None`` (κ undefined) gives ``None``.
    """
    if kappa is None or math.isnan(kappa):
        return None
    k = round(kappa, 10)
    if k < 0:
        return "poor"
    for upper, label in _LANDIS_KOCH:
        if k <= upper:
            return label
    return "almost perfect"


# --- two raters ---------------------------------------------------------------------------


def _ci(estimate: float, se: float) -> tuple[float, float]:
    """Normal 95 % interval, clipped to the coefficient's range [−1, 1]."""
    return max(-1.0, estimate - Z95 * se), min(1.0, estimate + Z95 * se)


def _categories(values: Iterable[Hashable], categories: Sequence[Hashable] | None) -> list:
    seen = sorted({v for v in values if v is not None}, key=str)
    if categories is None:
        return seen
    cats = list(dict.fromkeys(categories))
    unknown = [v for v in seen if v not in cats]
    if unknown:
        raise InputError(
            f"ratings {unknown!r} are not among the categories {cats!r}",
            hint="Add them to categories, or collapse decisions first (collapse_maybe).",
        )
    return cats


def _table(a: Sequence[Hashable], b: Sequence[Hashable], cats: list) -> np.ndarray:
    """Counts: rows rater a, columns rater b."""
    if len(a) != len(b):
        raise InputError(
            f"two raters need one rating each per item, got {len(a)} and {len(b)}",
            hint="Pass only the items both reviewers rated.",
        )
    if any(x is None for x in a) or any(x is None for x in b):
        raise InputError(
            "a two-rater statistic got a missing rating",
            hint="Drop items one reviewer did not rate, or use krippendorff_alpha.",
        )
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    return table


def percent_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Share of items on which both raters gave the same rating; ``None`` for no items."""
    table = _table(a, b, _categories([*a, *b], None))
    n = table.sum()
    return float(np.trace(table) / n) if n else None


def pabak(
    a: Sequence[Hashable], b: Sequence[Hashable], *, categories: Sequence[Hashable] | None = None
) -> float | None:
    """Prevalence- and bias-adjusted κ, (k·Po − 1)/(k − 1); 2·Po − 1 for two categories.

    k is the number of *possible* categories, so pass ``categories`` when some were not
    used (all-include data still has k = 2). ``None`` for no items or k < 2.
    """
    cats = _categories([*a, *b], categories)
    po = percent_agreement(a, b)
    k = len(cats)
    if po is None or k < 2:
        return None
    return (k * po - 1) / (k - 1)


def cohen_kappa(
    a: Sequence[Hashable], b: Sequence[Hashable], *, categories: Sequence[Hashable] | None = None
) -> KappaResult:
    """Cohen's κ with the large-sample SE of Fleiss, Cohen & Everitt (1969).

    The SE is the one statsmodels' ``cohens_kappa`` reports as ``std_kappa`` (not the SE
    under κ = 0); the CI is κ ± 1.96·SE, not truncated to [−1, 1].
    """
    cats = _categories([*a, *b], categories)
    table = _table(a, b, cats)
    n = int(table.sum())
    if n == 0:
        return KappaResult(None, None, None, None, None, None, 0, "no items rated by both")
    p = table / n
    rows, cols = p.sum(1), p.sum(0)
    po = float(np.trace(p))
    pe = float(rows @ cols)
    why: str | None  # the reason κ or its SE says nothing, if any
    if math.isclose(pe, 1.0):
        why = "κ is undefined: every rating is in one category, so chance agreement is 1"
        return KappaResult(None, None, None, None, po, pe, n, why)
    kappa = (po - pe) / (1 - pe)
    diag = np.diag(p) * (1 - (rows + cols) * (1 - kappa)) ** 2
    off = p * (cols[:, None] + rows[None, :]) ** 2
    np.fill_diagonal(off, 0.0)
    var = (diag.sum() + (1 - kappa) ** 2 * off.sum() - (kappa - pe * (1 - kappa)) ** 2) / (
        n * (1 - pe) ** 2
    )
    se = math.sqrt(max(float(var), 0.0))
    why = None
    if (rows > 1 - 1e-12).any() or (cols > 1 - 1e-12).any():
        why = "one reviewer used a single category: κ is 0 by construction, its SE degenerate"
    return KappaResult(kappa, se, *_ci(kappa, se), po, pe, n, why)


def gwet_ac1(
    a: Sequence[Hashable], b: Sequence[Hashable], *, categories: Sequence[Hashable] | None = None
) -> AC1Result:
    """Gwet's AC1 for two raters, with the SE of Gwet (2008) without finite-population
    correction; stays defined when κ is not (high prevalence of one category).

    q is the number of possible categories, so pass ``categories`` when some were unused.
    """
    cats = _categories([*a, *b], categories)
    table = _table(a, b, cats)
    n, q = int(table.sum()), len(cats)
    if n == 0:
        return AC1Result(None, None, None, None, None, None, 0, "no items rated by both")
    if q < 2:
        why = "AC1 needs at least two possible categories; pass categories="
        return AC1Result(None, None, None, None, 1.0, None, n, why)
    p = table / n
    pi = (p.sum(1) + p.sum(0)) / 2
    pa = float(np.trace(p))
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    ac1 = (pa - pe) / (1 - pe)
    # Linearised variance, Gwet (2008) eq. for two raters (as in irrCAC gwet.ac1.table).
    term = np.eye(q) - 2 * (1 - ac1) * (1 - (pi[:, None] + pi[None, :]) / 2) / (q - 1)
    var = ((p * term**2).sum() - (pa - 2 * (1 - ac1) * pe) ** 2) / (n * (1 - pe) ** 2)
    se = math.sqrt(max(float(var), 0.0))
    return AC1Result(ac1, se, *_ci(ac1, se), pa, pe, n)


# --- many raters, missing allowed -----------------------------------------------------------


def _counts(
    ratings: Sequence[Sequence[Hashable | None]], categories: Sequence[Hashable] | None
) -> np.ndarray:
    """Items × categories matrix of how many raters put each item in each category."""
    cats = _categories((v for row in ratings for v in row), categories)
    index = {c: i for i, c in enumerate(cats)}
    counts = np.zeros((len(ratings), len(cats)))
    for i, row in enumerate(ratings):
        for v in row:
            if v is not None:
                counts[i, index[v]] += 1
    return counts


def _pairwise_agreement(counts: np.ndarray) -> float | None:
    """Mean over items with ≥ 2 ratings of the share of agreeing rater pairs."""
    r = counts.sum(1)
    keep = r >= 2
    if not keep.any():
        return None
    c, r = counts[keep], r[keep]
    return float(((c * (c - 1)).sum(1) / (r * (r - 1))).mean())


def fleiss_kappa(
    ratings: Sequence[Sequence[Hashable | None]], *, categories: Sequence[Hashable] | None = None
) -> float | None:
    """Fleiss' (1971) κ; rows are items, columns raters, ``None`` a missing rating.

    With missing ratings it uses Gwet's (2014) generalisation: observed agreement over
    items with ≥ 2 ratings, category shares averaged over items with ≥ 1 rating; with
    complete data this is exactly Fleiss' κ. ``None`` when undefined (no pairable item, or
    every rating in one category). No SE: the published ones assume κ = 0.
    """
    counts = _counts(ratings, categories)
    pa = _pairwise_agreement(counts)
    if pa is None:
        return None
    r = counts.sum(1)
    rated = r >= 1
    shares = (counts[rated] / r[rated, None]).mean(0)
    pe = float((shares**2).sum())
    if math.isclose(pe, 1.0):
        return None
    return (pa - pe) / (1 - pe)


def gwet_ac1_multi(
    ratings: Sequence[Sequence[Hashable | None]], *, categories: Sequence[Hashable] | None = None
) -> AC1Result:
    """Gwet's AC1 for any number of raters with missing ratings (Gwet 2014; irrCAC
    ``gwet.ac1.raw``), with its linearised SE; ``n`` counts items with ≥ 1 rating."""
    counts = _counts(ratings, categories)
    counts = counts[counts.sum(1) >= 1]
    n, q = counts.shape
    pa = _pairwise_agreement(counts)
    if pa is None:
        return AC1Result(None, None, None, None, None, None, n, "no item has two ratings")
    if q < 2:
        why = "AC1 needs at least two possible categories; pass categories="
        return AC1Result(None, None, None, None, pa, None, n, why)
    r = counts.sum(1)
    pi = (counts / r[:, None]).mean(0)
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    ac1 = (pa - pe) / (1 - pe)
    pairable = r >= 2
    n2 = int(pairable.sum())
    denom = np.where(pairable, r * (r - 1), 1.0)
    pa_i = np.where(pairable, (counts * (counts - 1)).sum(1) / denom, 0.0)
    ac1_i = (n / n2) * (pa_i - pe * pairable) / (1 - pe)
    pe_i = (counts @ (1 - pi)) / (r * (q - 1))
    ac1_i = ac1_i - 2 * (1 - ac1) * (pe_i - pe) / (1 - pe)
    if n < 2:
        return AC1Result(ac1, None, None, None, pa, pe, n, "SE needs at least two items")
    se = math.sqrt(float(((ac1_i - ac1) ** 2).sum() / (n * (n - 1))))
    return AC1Result(ac1, se, *_ci(ac1, se), pa, pe, n)


def krippendorff_alpha(
    ratings: Sequence[Sequence[Hashable | None]], *, categories: Sequence[Hashable] | None = None
) -> float | None:
    """Krippendorff's α for nominal data (Krippendorff 2011), missing ratings allowed.

    Only items with ≥ 2 ratings carry information. ``None`` when undefined: no pairable
    item, or every pairable rating in one category (expected disagreement 0).
    """
    counts = _counts(ratings, categories)
    m = counts.sum(1)
    keep = m >= 2
    if not keep.any():
        return None
    c, m = counts[keep], m[keep]
    agree = float(((c * (c - 1)).sum(1) / (m - 1)).sum())  # Σ_c o_cc
    n_c = c.sum(0)
    n = float(n_c.sum())
    expected = n * n - float((n_c**2).sum())
    if expected <= 0:
        return None
    return 1 - (n - 1) * (n - agree) / expected


# --- the report a review publishes ------------------------------------------------------------


@dataclass(frozen=True)
class PairAgreement:
    """Two-rater statistics for one reviewer pair, on the items both rated."""

    reviewers: tuple[str, str]
    n: int
    both: dict[str, int]
    disagreements: int
    percent_agreement: float | None
    pabak: float | None
    kappa: KappaResult
    ac1: AC1Result
    landis_koch: str | None

    def to_dict(self) -> dict:
        """JSON-ready; ``both_<category>`` counts items both reviewers put in a category."""
        out: dict = {"reviewers": list(self.reviewers), "n": self.n}
        out.update({f"both_{cat}": count for cat, count in self.both.items()})
        out.update(
            disagreements=self.disagreements,
            percent_agreement=self.percent_agreement,
            pabak=self.pabak,
            kappa=asdict(self.kappa),
            landis_koch=self.landis_koch,
            ac1=asdict(self.ac1),
        )
        return out


@dataclass(frozen=True)
class AgreementReport:
    """Agreement for one stage: overall multi-rater coefficients and every reviewer pair."""

    stage: str | None
    categories: tuple[str, ...]
    reviewers: tuple[str, ...]
    n_items: int
    n_multiply_rated: int
    fleiss_kappa: float | None
    krippendorff_alpha: float | None
    ac1: AC1Result
    pairs: tuple[PairAgreement, ...]
    notes: tuple[str, ...] = field(default=())
    #: Items rated by three or more reviewers: the ones Fleiss' κ is computed on.
    n_rated_by_three: int = 0

    def to_dict(self) -> dict:
        """JSON-ready dict (``--json`` output); undefined coefficients are ``null``."""
        return {
            "stage": self.stage,
            "categories": list(self.categories),
            "reviewers": list(self.reviewers),
            "n_items": self.n_items,
            "n_multiply_rated": self.n_multiply_rated,
            "n_rated_by_three": self.n_rated_by_three,
            "fleiss_kappa": self.fleiss_kappa,
            "fleiss_landis_koch": landis_koch(self.fleiss_kappa),
            "krippendorff_alpha": self.krippendorff_alpha,
            "ac1": asdict(self.ac1),
            "pairs": [pair.to_dict() for pair in self.pairs],
            "notes": list(self.notes),
        }


def _latest(
    decisions: Iterable[tuple[Hashable, str, str]], items: set | None, collapse: bool
) -> dict[Hashable, dict[str, str]]:
    """item → reviewer → decision; a later event for the same pair replaces an earlier one,
    as decisions are append-only events and the last one is current."""
    by_item: dict[Hashable, dict[str, str]] = {}
    for item, reviewer, decision in decisions:
        if items is not None and item not in items:
            continue
        if collapse:
            try:
                decision = collapse_maybe(decision)
            except InputError as exc:
                raise InputError(f"item {item!r}, reviewer {reviewer!r}: {exc.message}",
                                 next=exc.next) from None  # fmt: skip
        by_item.setdefault(item, {})[reviewer] = decision
    return by_item


def _pair(by_item: dict, first: str, second: str, cats: list) -> PairAgreement | None:
    common = [d for d in by_item.values() if first in d and second in d]
    if not common:
        return None
    a, b = [d[first] for d in common], [d[second] for d in common]
    kappa = cohen_kappa(a, b, categories=cats)
    both = {c: sum(1 for x, y in zip(a, b, strict=True) if x == y == c) for c in cats}
    return PairAgreement(
        reviewers=(first, second),
        n=len(common),
        both=both,
        disagreements=len(common) - sum(both.values()),
        percent_agreement=percent_agreement(a, b),
        pabak=pabak(a, b, categories=cats),
        kappa=kappa,
        ac1=gwet_ac1(a, b, categories=cats),
        landis_koch=landis_koch(kappa.kappa),
    )


def agreement_report(
    decisions: Iterable[tuple[Hashable, str, str]],
    *,
    items: set | None = None,
    stage: str | None = None,
    collapse: bool = True,
    categories: Sequence[str] | None = None,
) -> AgreementReport:
    """Agreement on independent decisions ``(item_id, reviewer, decision)`` of one stage.

    Pass decisions made *before* arbitration only. ``items`` restricts the report to, e.g.,
    the double-screened sample. With ``collapse`` (default) "maybe" counts as include and
    the categories are include/exclude; otherwise ``categories`` (or the labels seen) are
    used as they are. Pairs that share no item are left out.
    """
    by_item = _latest(decisions, items, collapse)
    if collapse:
        cats = list(SCREENING_CATEGORIES)
    else:
        cats = _categories((v for d in by_item.values() for v in d.values()), categories)
    reviewers = sorted({r for d in by_item.values() for r in d}, key=str)
    multi = [d for d in by_item.values() if len(d) >= 2]
    rows = [[d.get(r) for r in reviewers] for d in multi]
    notes = []
    if not multi:
        notes.append("no item was rated by two reviewers: nothing to compare")
    three = [row for row, d in zip(rows, multi, strict=True) if len(d) >= 3]
    fleiss = fleiss_kappa(three, categories=cats) if three else None
    if not three:
        if len(reviewers) >= 3:  # with two reviewers Cohen's κ is the statistic: no note
            notes.append("Fleiss' κ not computed: no item was rated by three or more reviewers")
    elif fleiss is None:
        notes.append("Fleiss' κ undefined: every rating is in one category")
    alpha = krippendorff_alpha(rows, categories=cats)
    if multi and alpha is None:
        notes.append("Krippendorff's α undefined: every rating is in one category")
    pairs = [_pair(by_item, x, y, cats) for x, y in combinations(reviewers, 2)]
    return AgreementReport(
        stage=stage,
        categories=tuple(cats),
        reviewers=tuple(reviewers),
        n_items=len(by_item),
        n_multiply_rated=len(multi),
        fleiss_kappa=fleiss,
        krippendorff_alpha=alpha,
        ac1=gwet_ac1_multi(rows, categories=cats),
        pairs=tuple(p for p in pairs if p is not None),
        notes=tuple(notes),
        n_rated_by_three=len(three),
    )
