"""The open-cases report assembly, without I/O."""

from __future__ import annotations

from reports.domain.open_cases import build_report, is_open


def test_resolved_and_closed_are_not_open() -> None:
    assert is_open("new") and is_open("waiting") and is_open("open") and is_open("dormant")
    assert not is_open("resolved") and not is_open("closed")


def test_report_lists_every_open_category_and_sorts_groups() -> None:
    report = build_report(
        by_status=[("open", 2), ("closed", 5), ("waiting", 1)],
        by_group=[(None, None, 1), (7, "Billing", 1), (3, "Support", 2)],
    )
    assert report.total == 3
    assert report.by_status == {"new": 0, "open": 2, "waiting": 1, "dormant": 0}
    assert [(g.group_id, g.group_name, g.count) for g in report.by_group] == [
        (3, "Support", 2),
        (7, "Billing", 1),
        (None, "No group", 1),
    ]


def test_report_counts_by_assignee_biggest_first_without_empty_ones() -> None:
    report = build_report(by_status=[("open", 4)], by_group=[], by_assignee=[(None, 1), (5, 2), (9, 0), (3, 2)])
    assert [(a.assignee_id, a.count) for a in report.by_assignee] == [(3, 2), (5, 2), (None, 1)]
