"""BibTeX that is damaged or hostile: every record read or accounted for by a warning with its
entry number and line, no RecursionError, linear time; the same fields as bibtexparser."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli
from reviewflow.errors import ParseError
from reviewflow.formats import bibtex, ris

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
import _bibtex_data


def messages(result) -> list[str]:
    return [str(w) for w in result.report.warnings]


def test_entry_without_its_opening_brace_is_read_with_a_warning() -> None:
    text = (
        "@article{a, title = {First}}\n\n"
        "@article b,\n  title = {Second},\n  year = 2020\n}\n\n"
        "@article{c, title = {Third}}\n"
    )
    result = bibtex.loads(text, file="r.bib")
    assert [r.title for r in result.records] == ["First", "Second", "Third"]
    assert result.records[1].year == 2020
    (warning,) = result.report.warnings
    assert warning.line == 3 and warning.message.startswith("entry 2")
    assert "no '{'" in warning.message


def test_entry_whose_brace_and_key_are_lost_is_a_warning_not_silence() -> None:
    text = "@article{a, title = {A}}\n@article\n title = {B}}\n@article{c, title = {C}}\n"
    result = bibtex.loads(text, file="r.bib")
    assert [r.title for r in result.records] == ["A", "C"]
    (warning,) = result.report.warnings
    assert warning.line == 2 and "entry 2" in warning.message and "skipped" in warning.message


def test_unbalanced_braces_are_an_error_with_entry_and_line() -> None:
    text = "@article{a, title = {A}}\n@article{b,\n title = {B {x}\n}\n\n@article{c, title={C}}\n"
    with pytest.raises(ParseError) as info:
        bibtex.loads(text, file="r.bib")
    assert info.value.line == 2 and "entry 2" in str(info.value)
    assert "next entry at line 6" in str(info.value)


def test_unterminated_string_is_read_to_the_entry_end_with_a_warning() -> None:
    text = '@article{a,\n title = "Never closed,\n year = 2001}\n@article{b, title = {B}}\n'
    result = bibtex.loads(text, file="r.bib")
    first, second = result.records
    assert first.title.startswith("Never closed") and second.title == "B"
    (warning,) = result.report.warnings
    assert warning.line == 1 and "'title'" in warning.message and '"' in warning.message


def test_field_without_equals_is_a_warning_and_the_other_fields_are_read() -> None:
    text = "@article{a,\n title {Lost},\n year = 2001,\n author = {Smith, J}\n}\n"
    result = bibtex.loads(text, file="r.bib")
    (rec,) = result.records
    assert (rec.title, rec.year, rec.authors) == (None, 2001, ["Smith, J"])
    (warning,) = result.report.warnings
    assert "entry 1 ('a'), line 2" in warning.message and "'title' has no '='" in warning.message


def test_duplicate_key_is_a_warning_and_both_records_are_kept() -> None:
    text = "@article{k, title={One}}\n\n@article{k, title={Two}}\n"
    result = bibtex.loads(text, file="r.bib")
    assert [r.title for r in result.records] == ["One", "Two"]
    (warning,) = result.report.warnings
    assert warning.line == 3 and "already used at line 1" in warning.message


def test_undefined_string_macro_is_kept_as_written_with_a_warning() -> None:
    result = bibtex.loads("@article{k, journal = jnl9, title={T}}\n", file="r.bib")
    assert result.records[0].source_title == "jnl9"
    assert "no @string defines" in messages(result)[0]


def test_damaged_file_keeps_every_entry_it_can_and_says_what_it_lost() -> None:
    """Three entries, each damaged differently: three records, every loss warned."""
    text = (
        "@article{a,\n title = {One} year = 2001\n}\n"
        "@article b,\n title = {Two},\n}\n"
        "@article{c,\n title = {Three},\n pages 12--14,\n}\n"
    )
    result = bibtex.loads(text, file="r.bib")
    assert [r.title for r in result.records] == ["One", "Two", "Three"]
    assert [w.line for w in result.report.warnings] == [1, 4, 7]


def test_twenty_thousand_nested_braces_parse_without_recursion() -> None:
    deep = "{" * 20_000 + "x" + "}" * 20_000
    (rec,) = bibtex.loads(f"@article{{k, title = {deep}}}\n", file="r.bib").records
    assert rec.title == "x"
    with pytest.raises(ParseError) as info:
        bibtex.loads("@article{k, title = " + "{" * 20_000 + "x}\n", file="r.bib")
    assert info.value.line == 1 and "not closed" in str(info.value)


@pytest.mark.parametrize(
    "filler",
    ["\n" * 20_000, " " * 200_000, "\n \t" * 20_000],
    ids=["blank-lines", "spaces", "mixed-blanks"],
)
def test_huge_blank_runs_inside_an_entry_take_linear_time(filler: str) -> None:
    """Quadratic in these sizes would take minutes; linear takes milliseconds."""
    text = (
        f"@article{{k,{filler}title = {{A{filler}title}},{filler}"
        f"year = {filler}2020{filler},\n abstract = \"x{filler}y\"{filler}}}\n"
        "@article{j, title = {Next}}\n"
    )
    first, second = bibtex.loads(text, file="r.bib").records
    assert (first.title, first.abstract, first.year) == ("A title", "x y", 2020)
    assert second.title == "Next"


@pytest.mark.parametrize("filler", ["`" * 20_000, "``x" * 10_000, "\\'" * 20_000])
def test_unclosed_latex_quotes_and_accents_in_a_value_take_linear_time(filler: str) -> None:
    (rec,) = bibtex.loads(f"@article{{k, title = {{A{filler}.}}}}\n", file="r.bib").records
    assert rec.title.startswith("A") and rec.title.endswith(".")


def test_the_same_fields_as_bibtexparser_on_a_generated_library() -> None:
    """The reader replaced bibtexparser: field for field it must read the same."""
    bibtexparser = pytest.importorskip("bibtexparser")
    from bibtexparser.bparser import BibTexParser

    text = _bibtex_data.header() + "\n".join(r.bibtex for r in _bibtex_data.generate(60))
    text += "\n@book(b, title = {Par) ens}, note = {a} # jun # \"x\")\n"
    ours = bibtex.read_entries(text, file="r.bib", report=bibtex.ParseReport("r", "bibtex"))
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    theirs = bibtexparser.loads(text, parser=parser).entries
    assert len(ours) == len(theirs) == 61
    for entry, peer in zip(ours, theirs, strict=True):
        peer = dict(peer)
        assert (entry.type, entry.key) == (peer.pop("ENTRYTYPE"), peer.pop("ID"))
        assert list(reversed(entry.fields.items())) == list(peer.items())


def test_generated_records_read_as_generated() -> None:
    generated = list(_bibtex_data.generate(30))
    text = _bibtex_data.header() + "\n".join(r.bibtex for r in generated)
    result = bibtex.loads(text, file="r.bib")
    assert result.report.warnings == []
    for gen, rec in zip(generated, result.records, strict=True):
        assert (rec.title, rec.authors, rec.year) == (gen.title, gen.authors, gen.year)
        assert (rec.source_title, rec.doi, rec.abstract) == (gen.journal, gen.doi, gen.abstract)
        assert rec.pages == gen.pages and rec.keywords == gen.keywords


def test_import_then_export_round_trip_is_unchanged(tmp_path: Path) -> None:
    """A BibTeX import exported as RIS and imported again keeps every canonical field."""
    bib = tmp_path / "lib.bib"
    _bibtex_data.write_bibtex(_bibtex_data.generate(12), bib)
    runner = CliRunner()
    project = tmp_path / "review"
    out = runner.invoke(cli, ["init", str(project), "--title", "T", "--reviewer", "AB:Ann"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, ["--project", str(project), "import", str(bib)])
    assert out.exit_code == 0, out.output
    exported = tmp_path / "out.ris"
    out = runner.invoke(cli, ["--project", str(project), "export", str(exported)])
    assert out.exit_code == 0, out.output
    before = bibtex.loads(bib.read_text(encoding="utf-8")).records
    after = ris.loads(exported.read_text(encoding="utf-8")).records
    fields = ("title", "authors", "year", "source_title", "volume", "issue", "pages", "doi")
    assert [[getattr(r, f) for f in fields] for r in after] == [
        [getattr(r, f) for f in fields] for r in before
    ]
