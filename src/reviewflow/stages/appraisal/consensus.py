"""Two independent appraisals per study: item-level agreement and the consensus appraisal.

Agreement is reported per item (how often the two appraisers gave the same answer across
studies) and pooled over every study × item with Cohen's κ and Gwet's AC1 from
:mod:`reviewflow.agreement`; AC1 is shown because appraisal answers are mostly
"Yes", where κ collapses (the prevalence paradox). The consensus takes every item the two
agreed on and, for each disagreement, the answer recorded after discussion; it refuses
(StateError) while any disagreement is unresolved, so a score is never derived from one
appraiser's answer by accident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewflow.errors import InputError, StateError
from reviewflow.stages.appraisal.checklists import Appraisal, Checklist

if TYPE_CHECKING:
    from reviewflow.agreement import AC1Result, KappaResult


@dataclass(frozen=True)
class ItemDisagreement:
    study: str
    item: str
    first: str
    second: str


@dataclass(frozen=True)
class ItemAgreement:
    """Agreement on one checklist item across studies."""

    item: str
    compared: int
    agreed: int

    @property
    def proportion(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


@dataclass(frozen=True)
class AppraisalAgreement:
    """Per-item agreement, pooled κ/AC1 and every disagreement of two appraisers."""

    checklist_id: str
    appraisers: tuple[str, str]
    studies: tuple[str, ...]
    items: tuple[ItemAgreement, ...]
    disagreements: tuple[ItemDisagreement, ...]
    kappa: KappaResult
    ac1: AC1Result

    @property
    def proportion(self) -> float | None:
        compared = sum(i.compared for i in self.items)
        return sum(i.agreed for i in self.items) / compared if compared else None


def _pairs(
    checklist: Checklist, first: Sequence[Appraisal], second: Sequence[Appraisal]
) -> list[tuple[Appraisal, Appraisal]]:
    a = {x.study: x for x in first}
    b = {x.study: x for x in second}
    if len(a) != len(first) or len(b) != len(second):
        raise InputError("a study is appraised twice by the same appraiser")
    if set(a) != set(b):
        raise StateError(
            "the two appraisers did not appraise the same studies: "
            + ", ".join(sorted(set(a) ^ set(b))),
            hint="Both appraisers appraise every study independently before comparing.",
        )
    for x in (*first, *second):
        if x.checklist_id != checklist.id:
            raise InputError(f"appraisal of {x.study} uses {x.checklist_id}, not {checklist.id}")
    for study in a:
        if a[study].appraiser == b[study].appraiser:
            raise InputError(f"study {study}: both appraisals are by {a[study].appraiser}")
    return [(a[s], b[s]) for s in sorted(a)]


def appraisal_agreement(
    checklist: Checklist, first: Sequence[Appraisal], second: Sequence[Appraisal]
) -> AppraisalAgreement:
    """Item-level agreement of two appraisers over the same studies."""
    from reviewflow.agreement import cohen_kappa, gwet_ac1  # numpy: only here

    pairs = _pairs(checklist, first, second)
    items, disagreements, xs, ys = [], [], [], []
    for item in checklist.item_ids:
        agreed = compared = 0
        for x, y in pairs:
            ax, ay = x.answers.get(item), y.answers.get(item)
            if ax is None or ay is None:
                continue
            compared += 1
            xs.append(ax)
            ys.append(ay)
            if ax == ay:
                agreed += 1
            else:
                disagreements.append(ItemDisagreement(x.study, item, ax, ay))
        items.append(ItemAgreement(item, compared, agreed))
    cats = [o.id for o in checklist.options]
    names = (pairs[0][0].appraiser, pairs[0][1].appraiser) if pairs else ("", "")
    return AppraisalAgreement(
        checklist.id,
        names,
        tuple(x.study for x, _ in pairs),
        tuple(items),
        tuple(disagreements),
        cohen_kappa(xs, ys, categories=cats),
        gwet_ac1(xs, ys, categories=cats),
    )


def disagreements(first: Appraisal, second: Appraisal) -> list[ItemDisagreement]:
    """Items where two appraisals of one study differ: the agenda for the discussion."""
    return [
        ItemDisagreement(first.study, item, answer, second.answers[item])
        for item, answer in first.answers.items()
        if item in second.answers and second.answers[item] != answer
    ]


def consensus(
    checklist: Checklist,
    first: Appraisal,
    second: Appraisal,
    resolutions: Mapping[str, str] | None = None,
    *,
    reviewer: str,
    notes: Mapping[str, str] | None = None,
) -> Appraisal:
    """The consensus appraisal: agreed items, plus ``resolutions`` (item → answer) for the rest.

    A resolution for an item both appraisers agreed on is refused: the consensus records
    the discussion of disagreements, it does not overrule agreement silently.
    """
    if first.study != second.study:
        raise InputError(f"cannot combine appraisals of {first.study} and {second.study}")
    _pairs(checklist, [first], [second])
    resolutions = dict(resolutions or {})
    open_items = {d.item for d in disagreements(first, second)}
    extra = sorted(set(resolutions) - open_items)
    if extra:
        raise InputError(
            f"study {first.study}: no disagreement to resolve on {', '.join(extra)}",
            hint="Resolve only the items the two appraisers answered differently.",
        )
    answers: dict[str, str] = {}
    for item in checklist.item_ids:
        if item in open_items:
            if item not in resolutions:
                continue
            option = checklist.option_for(resolutions[item])
            if option is None:
                raise InputError(
                    f"study {first.study}, {item}: unknown answer {resolutions[item]!r}"
                )
            answers[item] = option
        else:
            answers[item] = first.answers[item]
    unresolved = sorted(open_items - set(resolutions), key=checklist.item_ids.index)
    if unresolved:
        raise StateError(
            f"study {first.study}: appraisers disagree on {', '.join(unresolved)} "
            "and no consensus answer is recorded",
            hint="Discuss the items listed and record the agreed answer for each.",
        )
    return Appraisal(first.study, reviewer, checklist.id, answers, dict(notes or {}))
