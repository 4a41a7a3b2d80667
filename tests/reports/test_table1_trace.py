"""Table 1's aggregate sentences lead to the studies' final answers they are computed from
(the seed review built by the demo: six included studies, extracted by MC, verified by KA)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewflow import demo
from reviewflow.errors import NotFoundError
from reviewflow.project import Project
from reviewflow.reports.table1_trace import aggregate_trace, aggregated_fields


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    project = demo.create_project(Path(tmp_path_factory.mktemp("seed")) / "demo")
    yield project
    project.close()


def test_each_aggregate_lists_the_studies_its_sentence_counts(seed: Project) -> None:
    with seed.session(actor="MC", write=False):
        fields = aggregated_fields(seed)
        traces = {f: aggregate_trace(seed, f) for f in fields}
    assert "sample_size" in fields and len(fields) >= 3
    for name, agg in traces.items():
        assert len(agg.entries) == 6, name
        for sentence in agg.figures:
            missing = re.search(r"not reported by (\d+) of (\d+)", sentence)
            if missing:
                assert int(missing[2]) == len(agg.entries), name
                assert int(missing[1]) == len(agg.entries) - agg.n_counted, name
    sizes = traces["sample_size"]
    total = int(re.search(r"total ([\d,]+)", sizes.figures[0])[1].replace(",", ""))  # type: ignore[index]
    assert total == sum(int(e.shown) for e in sizes.entries if e.counted)
    assert {(e.extractor, e.verifier) for e in sizes.entries} == {("MC", "KA")}


def test_an_unknown_column_is_an_error_naming_the_columns(seed: Project) -> None:
    with seed.session(actor="MC", write=False), pytest.raises(NotFoundError) as err:
        aggregate_trace(seed, "participants")
    assert "sample_size" in str(err.value.to_dict())
