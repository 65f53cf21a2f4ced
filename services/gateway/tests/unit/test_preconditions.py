"""If-Match parsing and ETags of case versions."""

import pytest

from contracts import errors
from gateway.domain.preconditions import etag, expected_version


def test_etag_is_the_quoted_version() -> None:
    assert etag(7) == '"7"'


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ("3", 3), ('W/"12"', 12), (" 4 ", 4), ("*", None)])
def test_if_match_forms(header: str, version: int | None) -> None:
    assert expected_version(header) == version


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_if_match_is_precondition_required(header: str | None) -> None:
    with pytest.raises(errors.DomainError) as caught:
        expected_version(header)
    assert caught.value.code == errors.PRECONDITION_REQUIRED
    assert errors.http_status(caught.value.code) == 428


@pytest.mark.parametrize("header", ['"abc"', "-1", '"3", "4"', "3.0"])
def test_garbage_if_match_is_a_validation_error(header: str) -> None:
    with pytest.raises(errors.DomainError) as caught:
        expected_version(header)
    assert caught.value.code == errors.VALIDATION_ERROR
