"""Every importer over the fuzz corpus: each file ends in a clean error (a ReviewflowError
naming the file, the store unchanged) or in an import whose warnings account for every
record lost; never a traceback, a hang or a runaway memory use.

The imports run in two worker processes (fuzz_harness.py), each file with a time limit
and a memory limit, through the same stage as ``reviewflow import``. ``python
tests/fuzz/report.py`` prints the outcome table; ``pytest -s`` prints it here too.

The xfail marks name the point of issue 20 whose fix removes them (strict=False: they
pass once the fix lands, and the lead deletes the mark).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import make_corpus
import pytest
from fuzz_harness import CORPUS, GOOD, Case, Outcome, corpus_cases, run_cases, table
from generated import generated_cases

#: (mutation, format or None for every format) -> the issue 20 point that fixes it.
XFAIL: dict[tuple[str, str | None], str] = {}
#: Single files whose damage lands in a bug above by chance (the corpus is seeded, stable).
XFAIL_FILES: dict[str, str] = {}


def _marks(case: Case) -> list[Any]:
    reason = (
        XFAIL_FILES.get(case.name)
        or XFAIL.get((case.mutation, case.format))
        or XFAIL.get((case.mutation, None))
    )
    return [pytest.mark.xfail(strict=False, reason=reason)] if reason else []


CORPUS_CASES = corpus_cases()
#: The test-time inputs, by name (built by generated.generated_cases under a temp folder).
GENERATED = {
    "spaces-200000.ris": ("huge-whitespace", "ris"),
    "blank-lines-200000.bib": ("huge-whitespace", "bibtex"),
    "huge-title.ris": ("huge-line", "ris"),
    "deep-50000.xml": ("xml-nesting", "endnote-xml"),
    "million-columns.csv": ("huge-columns", "csv"),
    "zip-bomb.xlsx": ("zip-bomb", "xlsx"),
    "fifo.ris": ("fs-fifo", "ris"),
    "folder.ris": ("fs-directory", "ris"),
    "dev-zero": ("fs-dev-zero", "ris"),
    "loop.ris": ("fs-symlink-loop", "ris"),
}


@pytest.fixture(scope="session")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """Import only the files of the selected tests, all at once in the worker pool."""
    wanted = {
        item.callspec.params["name"]
        for item in request.session.items
        if item.module is not None
        and item.module.__name__ == __name__
        and hasattr(item, "callspec")
        and "name" in item.callspec.params
    }
    cases = [c for c in CORPUS_CASES if c.name in wanted]
    cases += [c for c in generated_cases(tmp_path_factory.mktemp("hostile")) if c.name in wanted]
    _TRIED[:] = [c.name for c in cases]
    return run_cases(cases)


_TRIED: list[str] = []


def _check(outcome: Outcome) -> None:
    assert outcome.kind in GOOD, f"{outcome.case.name} ({outcome.case.mutation}): " + (
        f"{outcome.kind}: {outcome.detail}"
    )


@pytest.mark.parametrize(
    "name", [pytest.param(c.name, id=c.name, marks=_marks(c)) for c in CORPUS_CASES]
)
def test_corpus_file(name: str, outcomes: dict[str, Outcome]) -> None:
    _check(outcomes[name])


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            f"generated/{file}",
            id=file,
            marks=_marks(Case(file, Path(file), mutation, fmt)),
        )
        for file, (mutation, fmt) in GENERATED.items()
    ],
)
def test_hostile_input(name: str, outcomes: dict[str, Outcome]) -> None:
    _check(outcomes[name])


def test_symlink_loop_is_not_called_missing(tmp_path: Path) -> None:
    from reviewflow.errors import InputError
    from reviewflow.formats import read_bytes

    loop = tmp_path / "loop.ris"
    loop.symlink_to(tmp_path / "other.ris")
    (tmp_path / "other.ris").symlink_to(loop)
    with pytest.raises(InputError) as err:
        read_bytes(loop)
    assert "no such file" not in str(err.value)
    assert "loop.ris" in str(err.value)


def test_generated_inputs_are_the_ones_tested(tmp_path: Path) -> None:
    names = {c.name.removeprefix("generated/") for c in generated_cases(tmp_path)}
    assert names == set(GENERATED)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_corpus_is_what_make_corpus_writes(tmp_path: Path) -> None:
    """A fixture or mutation changed without re-running tests/fuzz/make_corpus.py."""
    make_corpus.build(tmp_path / "fuzz")
    assert _digest(tmp_path / "fuzz") == _digest(CORPUS), "run: python tests/fuzz/make_corpus.py"


def test_corpus_stays_small() -> None:
    files = [p for p in CORPUS.rglob("*") if p.is_file()]
    assert 200 <= len(files) <= 1000
    assert sum(p.stat().st_size for p in files) < 3_000_000


def test_outcome_table(outcomes: dict[str, Outcome], capsys: pytest.CaptureFixture[str]) -> None:
    """The table for the note (``pytest -s`` shows it); every selected file was tried."""
    with capsys.disabled():
        print("\n" + table(outcomes.values()))
    missing = [name for name in _TRIED if name not in outcomes]
    assert not missing, f"no outcome for {missing}"
