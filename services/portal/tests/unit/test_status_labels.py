from contracts.cases import Status
from portal.web.templating import ACTIVE_STATUSES, STATUS_LABELS


def test_a_dormant_case_is_still_active_for_the_customer():
    # a case on hold is not finished: it must not be listed under "Resolved and closed"
    assert Status.DORMANT in ACTIVE_STATUSES
    assert Status.RESOLVED not in ACTIVE_STATUSES and Status.CLOSED not in ACTIVE_STATUSES


def test_every_status_has_a_customer_facing_label():
    assert set(STATUS_LABELS) == set(Status)
