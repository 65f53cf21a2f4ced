"""A missing corpus skips its tests on a developer's machine and fails them under CI, where every real-mail test
must run: a CI run that skipped them all would pass without having checked the parser against real mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import pytest_runtest_setup
from corpus import files, in_ci, missing, needs, require

Skipped = pytest.skip.Exception
Failed = pytest.fail.Exception


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", " true "])
def test_ci_is_recognised_from_the_values_ci_services_set(value: str) -> None:
    assert in_ci({"CI": value})


@pytest.mark.parametrize("environ", [{}, {"CI": ""}, {"CI": "false"}, {"CI": "0"}])
def test_no_ci_variable_or_a_false_one_is_not_ci(environ: dict[str, str]) -> None:
    assert not in_ci(environ)


def test_a_missing_corpus_skips_outside_ci_and_names_where_it_looked(tmp_path: Path) -> None:
    folder = tmp_path / "zammad-mail"
    with pytest.raises(Skipped, match="zammad-mail corpus not found at") as skipped:
        require(folder, environ={})
    assert str(folder) in str(skipped.value)


def test_a_missing_corpus_fails_under_ci(tmp_path: Path) -> None:
    folder = tmp_path / "zammad-mail"
    with pytest.raises(Failed, match="under CI the corpus tests must run, not skip") as failed:
        require(folder, environ={"CI": "true"})
    assert str(folder) in str(failed.value)


def test_a_corpus_without_the_files_a_test_reads_counts_as_missing(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a mail")
    assert missing(tmp_path, "*.box") is not None
    with pytest.raises(Failed):
        require(tmp_path, "*.box", environ={"CI": "true"})


def test_a_present_corpus_lets_the_test_run_in_and_out_of_ci(tmp_path: Path) -> None:
    (tmp_path / "mail001.box").write_bytes(b"Subject: hi\r\n\r\nbody\r\n")
    assert missing(tmp_path, "*.box") is None
    require(tmp_path, "*.box", environ={"CI": "true"})
    require(tmp_path, "*.box", environ={})


def test_files_of_a_missing_corpus_is_one_marked_parameter_not_an_empty_set(tmp_path: Path) -> None:
    [param] = files(tmp_path / "absent", "*.box")
    assert param.id == "corpus-missing"
    assert [mark.name for mark in param.marks] == ["corpus"]
    assert param.marks[0].args == (tmp_path / "absent", "*.box")


def test_files_of_a_present_corpus_are_one_parameter_per_file(tmp_path: Path) -> None:
    for name in ("mail002.box", "mail001.box", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    params = files(tmp_path, "*.box")
    assert [p.id for p in params] == ["mail001", "mail002"]
    assert [p.values for p in params] == [(tmp_path / "mail001.box",), (tmp_path / "mail002.box",)]


def test_needs_is_the_marker_the_conftest_hook_checks() -> None:
    mark = needs(Path("/nowhere"), "*.txt").mark
    assert (mark.name, mark.args) == ("corpus", (Path("/nowhere"), "*.txt"))


class _Item:
    """What the conftest hook reads of a collected test: its `corpus` marks."""

    def __init__(self, *marks: pytest.MarkDecorator) -> None:
        self.marks = [m.mark for m in marks]

    def iter_markers(self, name: str) -> list[pytest.Mark]:
        return [m for m in self.marks if m.name == name]


def test_the_conftest_hook_skips_a_marked_test_outside_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(Skipped, match="zammad-mail corpus not found at"):
        pytest_runtest_setup(_Item(needs(tmp_path / "zammad-mail")))


def test_the_conftest_hook_fails_a_marked_test_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Failed, match="under CI the corpus tests must run, not skip"):
        pytest_runtest_setup(_Item(needs(tmp_path / "zammad-mail")))


def test_the_conftest_hook_lets_unmarked_tests_and_present_corpora_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    (tmp_path / "mail001.box").write_bytes(b"x")
    pytest_runtest_setup(_Item())
    pytest_runtest_setup(_Item(needs(tmp_path, "*.box")))
