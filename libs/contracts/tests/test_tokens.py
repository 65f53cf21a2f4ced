from contracts.tokens import case_id_from_message_id, make_message_id

SECRET = "s" * 40


def test_signed_message_id_round_trips_to_its_case():
    mid = make_message_id(case_id=42, message_id=7, secret=SECRET, domain="hd.example.com")
    assert mid.endswith("@hd.example.com")
    assert case_id_from_message_id(mid, secret=SECRET) == 42
    assert case_id_from_message_id(f"<{mid}>", secret=SECRET) == 42


def test_forged_or_foreign_message_ids_are_refused():
    mid = make_message_id(case_id=42, message_id=7, secret=SECRET, domain="hd.example.com")
    forged = mid.replace("hd.42.", "hd.43.", 1)
    assert case_id_from_message_id(forged, secret=SECRET) is None
    assert case_id_from_message_id(mid, secret="another-secret" * 3) is None
    assert case_id_from_message_id("CAF123@mail.gmail.com", secret=SECRET) is None
    assert case_id_from_message_id("", secret=SECRET) is None
