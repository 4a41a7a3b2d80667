"""The public Python API: what ``reviewflow.__all__`` names resolves, and the review shown
in the package docstring runs as written and gives the report and counts it promises."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import reviewflow


def _docstring_example() -> str:
    """The code block after the first ``::`` of the package docstring, dedented."""
    doc = reviewflow.__doc__ or ""
    match = re.search(r"::\n\n((?: {4}.*\n|\n)+)", doc)
    assert match, "the package docstring shows no example"
    return "\n".join(line[4:] for line in match.group(1).splitlines())


def test_the_docstring_review_runs_from_import_to_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = _docstring_example()
    assert len([line for line in code.splitlines() if line.strip()]) <= 30
    namespace: dict[str, object] = {}
    exec(compile(code, "reviewflow.__doc__", "exec"), namespace)
    project = namespace["project"]
    assert isinstance(project, reviewflow.Project)
    try:
        report = tmp_path / "review" / "reports" / "report.html"
        assert report.is_file()
        assert "Link workers and loneliness" in report.read_text(encoding="utf-8")
        counts = reviewflow.prisma_counts(project)
        identified = sum(n or 0 for _, n in counts.databases)
        assert (identified, counts.duplicates_removed) == (3, 1)
        assert counts.records_screened == identified - counts.duplicates_removed
        assert counts.records_excluded == 1
        assert counts.reports_sought == counts.records_screened - counts.records_excluded
        assert reviewflow.check_prisma(counts) == []
        csv = (tmp_path / "review" / "reports" / "prisma.csv").read_text(encoding="utf-8")
        assert "Embase" in csv
        # both reviewers' votes were kept, each under its own name, and they agree
        ta = reviewflow.screening_agreement(project, stage="ta")["ta"]
        assert ta.n_multiply_rated == 2
        assert [(p.reviewers, p.percent_agreement) for p in ta.pairs] == [(("AB", "CD"), 1.0)]
    finally:
        project.close()


def test_every_public_name_resolves() -> None:
    assert len(set(reviewflow.__all__)) == len(reviewflow.__all__)
    for name in reviewflow.__all__:
        value = getattr(reviewflow, name)
        assert value is not None, name
        if name != "__version__":
            assert getattr(value, "__module__", "").startswith("reviewflow."), name
    assert set(reviewflow.__all__) <= set(dir(reviewflow))


def test_no_public_name_is_shadowed_by_a_submodule() -> None:
    """``import reviewflow.X`` sets ``reviewflow.X`` to the module: a public name X would
    then be the module, not the function, depending on what was imported before."""
    package = Path(reviewflow.__file__).parent
    submodules = {p.stem for p in package.glob("*.py")} | {
        p.name for p in package.iterdir() if (p / "__init__.py").is_file()
    }
    assert submodules & set(reviewflow.__all__) == set()


def test_errors_are_one_vocabulary() -> None:
    errors = [getattr(reviewflow, n) for n in reviewflow.__all__ if n.endswith("Error")]
    assert reviewflow.ReviewflowError in errors and len(errors) >= 8
    assert all(issubclass(e, reviewflow.ReviewflowError) for e in errors)


def test_a_name_outside_the_api_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'not_a_stage'"):
        reviewflow.not_a_stage  # noqa: B018


def test_public_functions_take_the_project_first() -> None:
    """A stage operation reads like ``rf.decide(project, ...)``: project first, options
    by keyword (so a web route and a test call it the same way)."""
    for name in reviewflow.__all__:
        value = getattr(reviewflow, name)
        if not inspect.isfunction(value) or name in ("current_actor", "check_prisma"):
            continue
        params = list(inspect.signature(value).parameters.values())
        assert params and params[0].name == "project", name


def test_importing_reviewflow_imports_nothing_else() -> None:
    code = "import sys, json, reviewflow; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = {m for m in json.loads(out) if m.startswith("reviewflow")}
    assert loaded == {"reviewflow"}
