from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from runner.redact import Redactor


def test_known_secrets_and_their_json_escaped_forms_are_masked() -> None:
    redactor = Redactor(['tok"en\\42'])
    text = json.dumps({"reason": 'expected tok"en\\42'})
    assert "tok" not in redactor.scrub(text)
    assert redactor.scrub('header tok"en\\42 sent') == "header *** sent"


def test_card_numbers_are_masked_only_when_luhn_valid() -> None:
    redactor = Redactor()
    assert redactor.scrub("card 4242 4242 4242 4242 ok") == "card [card] ok"
    assert redactor.scrub("order 1234567890123456") == "order 1234567890123456"
    assert redactor.scrub("ORD-000123") == "ORD-000123"


def test_short_values_are_not_treated_as_secrets() -> None:
    assert Redactor(["1", "ab"]).scrub("1 ab") == "1 ab"


@given(st.text(min_size=4, max_size=30), st.text(max_size=50), st.text(max_size=50))
def test_a_secret_never_survives_scrubbing(secret: str, before: str, after: str) -> None:
    scrubbed = Redactor([secret]).scrub(before + secret + after)
    assert secret not in scrubbed or secret in "***[card]"
