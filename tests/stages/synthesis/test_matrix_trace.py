"""Each cell of the theme × study matrix lists the coded segments it counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reviewflow.errors import NotFoundError
from reviewflow.stages.synthesis import codes, themes
from reviewflow.stages.synthesis.matrix_trace import matrix_cell

if TYPE_CHECKING:
    from conftest import Coded


def test_every_cell_lists_as_many_segments_as_it_counts(coded: Coded) -> None:
    p, s, st = coded.project, coded.segs, coded.studies
    trust = codes.create_code(p, "trust")
    openness = codes.create_code(p, "openness", parent=trust)
    shocks = codes.create_code(p, "health shocks")
    codes.apply_code(p, s["Service"], trust, reviewer="MC")
    codes.apply_code(p, s["Service"], trust, reviewer="CJ")  # two coders, one segment
    codes.apply_code(p, s["Trust"], openness, reviewer="MC")  # a sub-code counts for trust
    codes.apply_code(p, s["Health"], shocks, reviewer="MC")
    person = themes.create_theme(p, "Person-centred care", kind="analytical",
                                 description="d", label="1")  # fmt: skip
    themes.create_theme(p, "Therapeutic relationship", kind="descriptive", description="d",
                        label="1.1", parent=person, codes=[trust])  # fmt: skip
    themes.create_theme(p, "Fluctuations", kind="descriptive", description="d",
                        label="1.4", parent="1", codes=[shocks])  # fmt: skip
    rows = themes.matrix(p)
    cells = 0
    for row in rows:
        for study in st.values():
            listed = matrix_cell(p, row.theme_id, study)
            assert len(listed) == row.segments_by_study.get(study, 0), (row.label, study)
            cells += bool(listed)
    assert cells == 5  # 1.1 x 2 studies, 1.4 x 1, 1 x 2
    by_label = {r.label: r.theme_id for r in rows}
    (moffatt,) = matrix_cell(p, by_label["1.1"], st["Moffatt 2017"])
    assert moffatt.text.startswith("Service users trusted")
    assert sorted((c.code, c.coder) for c in moffatt.codings) == [("trust", "CJ"), ("trust", "MC")]
    wildman = matrix_cell(p, by_label["1"], st["Wildman 2019"])
    assert [[c.code for c in w.codings] for w in wildman] == [["openness"], ["health shocks"]]
    only_cj = matrix_cell(p, by_label["1.1"], st["Moffatt 2017"], coder="CJ")
    assert [c.coder for c in only_cj[0].codings] == ["CJ"]
    with pytest.raises(NotFoundError, match="no theme 999"):
        matrix_cell(p, 999, st["Moffatt 2017"])
