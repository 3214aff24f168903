"""Export filters: parsed from the form, refused with a reason, stored compactly."""

from __future__ import annotations

import pytest

from leadermail.platform.exports.services import ExportError, LetterFilters, filtered_letters


def test_filters_round_trip_through_the_stored_dict():
    filters = LetterFilters.from_mapping(
        {"state": "assigned", "unit_id": "4", "submitted_from": "2026-01-01", "text": " 噪音 "}
    )
    assert filters.as_dict() == {
        "state": "assigned", "unit_id": 4, "submitted_from": "2026-01-01", "text": "噪音",
    }
    assert LetterFilters(**filters.as_dict()) == filters


@pytest.mark.parametrize(
    ("data", "reason"),
    [({"unit_id": "四"}, "unit_id"), ({"submitted_to": "2026-02-30"}, "2026-02-30")],
)
def test_bad_filters_are_refused(data: dict[str, str], reason: str):
    with pytest.raises(ExportError, match=reason):
        LetterFilters.from_mapping(data)


def test_text_filter_escapes_like_wildcards():
    sql = str(filtered_letters(LetterFilters(text="100%_")).compile(
        compile_kwargs={"literal_binds": True}
    ))
    assert "100\\%\\_" in sql
