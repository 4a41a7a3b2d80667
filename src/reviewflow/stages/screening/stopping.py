"""Where the stopping rules stand on title/abstract screening, for a panel, a command, a report.

Two rules read the sequence of first votes (1 include or maybe, 0 exclude) in the order
they were cast, and both are always shown; the plan's ``stopping_rule`` says which one
decides (``reviewflow screen stop``, the "justified" phase):

- ``"arrival"`` (the default): the Cox-process model of how includes arrive along the
  ranking (:mod:`reviewflow.ranking.arrival`); screening stays ranked to the end.
- ``"sampling"``: the random-sampling test of Callaghan & Müller-Hansen 2020
  (:mod:`reviewflow.ranking.stopping`); after ``SWITCH_AFTER_IRRELEVANT`` irrelevant in a
  row the open records come in a seeded random order, so its p-value is certified. Under
  the arrival rule the same test runs on the records screened since that point, in
  ranked order ("ranked quasi-sampling"): conservative while the ranker beats random.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...project import Project
from ...store import screening_queries as sq
from .plan import screening_settings
from .state import StageState, load_state

RELEVANT = ("include", "maybe")


@dataclass
class StoppingReport:
    """Where the stopping rules stand on a stage (title/abstract).

    ``estimated_recall`` with its interval (``recall_low`` .. ``recall_high``) is the
    deciding rule's (the sampling test's once it samples); ``p_value``, ``to_sample`` and
    ``sample_size`` are always the sampling test's; ``arrival`` holds what the arrival rule
    says (:meth:`rules` for both side by side). :attr:`phase` and :meth:`summary` follow
    the deciding rule; all of it is in :meth:`to_dict`.
    """

    records: int
    screened: int
    relevant_found: int
    switched: bool
    #: Records screened since the last include (or maybe), team-wide, oldest first vote
    #: first: the sampling test starts after ``switch_after`` of them.
    irrelevant_in_a_row: int
    sample_size: int
    p_value: float | None
    estimated_recall: float | None
    to_sample: int | None
    stop_justified: bool
    stopped: bool
    target: float
    confidence: float
    recall_low: float | None = None
    recall_high: float | None = None
    switch_after: int = 50
    #: The deciding rule: "arrival" or "sampling".
    rule: str = "sampling"
    #: What the sampling test says (stop at p < 1 - confidence).
    sampling_stop: bool = False
    sampling_recall: tuple[float, float] | None = None
    sampling_estimate: float | None = None
    #: What the arrival rule says: stop, estimated_recall, recall_low, recall_high,
    #: to_screen, p_enough, floor_met, allowed_missed.
    arrival: dict[str, Any] = field(default_factory=dict)
    #: The plain sentence when the target allows no include to be missed (< ~20 found).
    plain: str | None = None

    @property
    def samples_randomly(self) -> bool:
        """Whether open records now come in the sampling test's seeded random order."""
        return self.rule == "sampling" and self.switched

    @property
    def phase(self) -> str:
        """What the deciding rule says: "ranking" (ranked screening goes on), "sampling"
        (the sampling test's random sample), "justified" (the rule backs stopping) or
        "stopped" (a stop was recorded)."""
        if self.stopped:
            return "stopped"
        if self.stop_justified:
            return "justified"
        return "sampling" if self.samples_randomly else "ranking"

    def rules(self) -> dict[str, dict[str, Any]]:
        """Both rules side by side: what each says and how many more records each needs
        (if none of them is an include)."""
        sampling: dict[str, Any] = {
            "says": "stop" if self.sampling_stop else ("test" if self.switched else "wait"),
            "p_value": self.p_value,
            "more_records": self.to_sample,
            "sample": "random" if self.rule == "sampling" else "ranked",
            "estimated_recall": None,
            "recall_low": None,
            "recall_high": None,
        }
        if self.sampling_recall is not None:
            sampling["recall_low"], sampling["recall_high"] = self.sampling_recall
        if self.rule == "sampling":
            sampling["estimated_recall"] = self.estimated_recall
        else:
            sampling["estimated_recall"] = self.sampling_estimate
        arrival = dict(self.arrival)
        if arrival:
            arrival["says"] = "stop" if arrival["stop"] else "continue"
            arrival["more_records"] = arrival.get("to_screen")
        return {"arrival": arrival, "sampling": sampling}

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "rules": self.rules(),
            "phase": self.phase,
            "summary": self.summary(),
        }

    def summary(self, *, note: bool = True) -> str:
        """One line: the deciding rule, the other beside it, and (``note``) the plain
        sentence when the target allows no include to be missed."""
        if self.stopped:
            left = self.records - self.screened
            return f"screening stopped by the rule; {left:,} records excluded by automation"
        if self.rule == "arrival":
            text = self._arrival_text() + "; " + self._sampling_text(brief=True)
        else:
            text = self._sampling_text(brief=False)
            if self.arrival:
                text += "; " + self._arrival_text(brief=True)
        return text + (f". Note: {self.plain}" if self.plain and note else "")

    def lines(self) -> list[str]:
        """What ``reviewflow screen stopping`` prints: where screening stands, then each
        rule on a line of its own (the deciding one first), then the plain note."""
        head = (
            f"{self.screened:,} of {self.records:,} records screened; "
            f"{self.relevant_found:,} relevant found; deciding rule: {self.rule}"
        )
        if self.stopped:
            return [head, self.summary()]
        arrival = self._arrival_text()
        sampling = self._sampling_text(brief=self.rule == "arrival")
        out = [head, *((arrival, sampling) if self.rule == "arrival" else (sampling, arrival))]
        return out + ([f"Note: {self.plain}"] if self.plain else [])

    def _arrival_text(self, *, brief: bool = False) -> str:
        a = self.arrival
        if not a:
            return "arrival rule: nothing screened yet"
        recall = (
            f"est. recall {a['estimated_recall']:.1%} "
            f"({a['recall_low']:.1%}-{a['recall_high']:.1%})"
        )
        if a["stop"]:
            tail = "" if brief else "; run: reviewflow screen stop"
            return (
                f"arrival rule: stopping is justified, recall >= {self.target:.0%} with "
                f"{self.confidence:.0%} confidence ({recall}){tail}"
            )
        return (
            f"arrival rule: {recall}; about {a['to_screen']:,} more records to screen "
            "without a new include before it stops"
        )

    def _sampling_text(self, *, brief: bool) -> str:
        name = "sampling test" if self.rule == "sampling" else "sampling test (ranked sample)"
        if not self.switched:
            return (
                f"{name}: {self.irrelevant_in_a_row} irrelevant in a row; the test starts "
                f"after {self.switch_after}"
            )
        recall = ""
        if not brief and self.estimated_recall is not None:
            recall = f", est. recall {self.estimated_recall:.1%}"
            if self.recall_low is not None and self.recall_high is not None:
                recall += f" ({self.recall_low:.1%}-{self.recall_high:.1%})"
        if self.sampling_stop:
            tail = "" if brief else "; run: reviewflow screen stop"
            return (
                f"{name}: stopping is justified: recall >= {self.target:.0%} with "
                f"{self.confidence:.0%} confidence (p = {self.p_value:.3f}{recall}){tail}"
            )
        return (
            f"{name}: p = {self.p_value:.3f}{recall}; about {self.to_sample:,} more "
            "records to screen without a new include before it stops"
        )


def stopping_status(project: Project, *, state: StageState | None = None) -> StoppingReport:
    """Both stopping rules on the title/abstract sequence of first votes so far."""
    plan_settings = screening_settings(project).ta
    with project.db.connect() as conn:
        state = state or load_state(conn, project, "ta")
        stopped = _stopped(conn)
    from ...ranking.arrival import arrival_test, plain_warning
    from ...ranking.stopping import SWITCH_AFTER_IRRELEVANT, recall_interval, stopping_test

    target, confidence = plan_settings.recall_target, plan_settings.confidence
    sequence = _first_votes(state)
    switch, run = _switch_point(sequence)
    relevant = sum(sequence)
    report = StoppingReport(
        records=len(state.items),
        screened=len(sequence),
        relevant_found=relevant,
        switched=switch is not None,
        irrelevant_in_a_row=run,
        sample_size=0,
        p_value=None,
        estimated_recall=None,
        to_sample=None,
        stop_justified=False,
        stopped=stopped,
        target=target,
        confidence=confidence,
        switch_after=SWITCH_AFTER_IRRELEVANT,
        rule=plan_settings.stopping_rule,
        plain=plain_warning(relevant, target) if sequence else None,
    )
    if sequence and len(state.items) >= len(sequence):
        arrival = arrival_test(
            sequence, records=len(state.items), target=target, confidence=confidence
        )
        report.arrival = {
            "stop": arrival.stop,
            "estimated_recall": arrival.estimated_recall,
            "recall_low": arrival.recall_low,
            "recall_high": arrival.recall_high,
            "to_screen": arrival.to_screen,
            "p_enough": arrival.p_enough,
            "expected_left": arrival.expected_left,
            "floor_met": arrival.floor_met,
            "allowed_missed": arrival.allowed_missed,
        }
    if switch is not None:
        before, sample = sequence[:switch], sequence[switch:]
        counts = {
            "urn_size": len(state.items) - len(before),
            "relevant_before": sum(before),
            "sample_size": len(sample),
            "sample_relevant": sum(sample),
        }
        test = stopping_test(**counts, target=target, confidence=confidence)
        report.sample_size = len(sample)
        report.p_value = test.p_value
        report.to_sample = test.to_sample
        report.sampling_stop = test.stop
        report.sampling_recall = recall_interval(**counts, confidence=confidence)
        report.sampling_estimate = test.estimated_recall
    if report.rule == "sampling":
        report.stop_justified = report.sampling_stop
        if switch is not None:
            report.estimated_recall = report.sampling_estimate
            report.recall_low, report.recall_high = report.sampling_recall or (None, None)
    elif report.arrival:
        report.stop_justified = bool(report.arrival["stop"])
        report.estimated_recall = report.arrival["estimated_recall"]
        report.recall_low = report.arrival["recall_low"]
        report.recall_high = report.arrival["recall_high"]
    return report


def methods_text(project: Project, report: StoppingReport | None = None) -> str:
    """The methods sentence a report gives for ranked screening and how it stopped."""
    from ...ranking import arrival

    report = report or stopping_status(project)
    s = arrival.ArrivalSettings()
    window = "all" if s.window_share >= 1 else f"the last {s.window_share:.0%}"
    arrival_words = (
        "a model of how includes arrive along the ranking (a Cox process: an "
        "exponentially decaying rate of includes with a prior over its decay, plus a "
        f"constant rate of stragglers, Gamma prior shape {s.background:g}, fitted to "
        f"{window} of the screened records; after Stevenson & Bin-Hezam 2023), which "
        f"stops when the predicted includes left unscreened are within the "
        f"{report.target:.0%} recall target with {report.confidence:.0%} probability, and "
        f"not before {s.min_share:.0%} of the records are screened and {s.min_run} "
        "excludes in a row (at most a tenth of the records) are seen"
    )
    sampling_words = (
        "the random-sampling hypergeometric test of Callaghan & Müller-Hansen 2020 "
        f"(after {report.switch_after} irrelevant records in a row, for recall below "
        f"{report.target:.0%} at {1 - report.confidence:.2g} significance)"
    )
    if report.rule == "arrival":
        text = (
            "Title/abstract records were screened in order of predicted relevance; the "
            f"stopping rule was {arrival_words}. Beside it, {sampling_words} was computed on "
            "the records screened in ranked order since that point"
        )
    else:
        text = (
            "Title/abstract records were screened in order of predicted relevance, then in "
            f"random order; the stopping rule was {sampling_words}. Beside it, "
            f"{arrival_words}"
        )
    if report.p_value is not None:
        text += f" (p = {report.p_value:.3f} for recall below {report.target:.0%})"
    text += "."
    if report.stopped:
        text += (
            f" Screening stopped after {report.screened:,} of {report.records:,} records; "
            f'the {report.records - report.screened:,} left are counted as "Records marked '
            f'as ineligible by automation tools" ({report.rule} rule)'
        )
        text += "." if report.stop_justified else ", although the rule did not back the stop."
    if report.plain:
        text += f" With {report.relevant_found} includes found, the target allowed none missed."
    return text


def _first_votes(state: StageState) -> list[int]:
    """1/0 relevance of each screened item, in the order items were first voted on."""
    first: list[tuple[Any, int]] = []
    for item, votes in state.independent.items():
        if not votes:
            continue
        vote = min(votes.values(), key=lambda v: v.created_at)
        first.append((vote.created_at, item))
    first.sort()
    results = state.votes
    return [
        1 if any(v.decision in RELEVANT for v in results.get(item, {}).values()) else 0
        for _, item in first
    ]


def _switch_point(sequence: list[int]) -> tuple[int | None, int]:
    """Index after the first run of SWITCH_AFTER_IRRELEVANT irrelevant records, and the
    current run of irrelevant records."""
    from ...ranking.stopping import SWITCH_AFTER_IRRELEVANT

    run = 0
    switch = None
    for n, relevant in enumerate(sequence):
        run = 0 if relevant else run + 1
        if switch is None and run >= SWITCH_AFTER_IRRELEVANT:
            switch = n + 1
    return switch, run


def _stopped(conn: Any) -> bool:
    return sq.latest_stage_action(conn, stage="ta", actions=("stop", "resume")) == "stop"
