"""What kind of name a stored account name is, and which sign-in steps may say what they accept."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from optout.engine.signinsteps import kind_of_name
from optout.flowfile.schema import Step


@pytest.mark.parametrize(
    "name,kind",
    [
        ("demo@example.org", "email"),
        (" Someone.Else@mail.co.uk ", "email"),
        ("+44 20 7946 0958", "phone"),
        ("(555) 010-1234", "phone"),
        ("demo_handle", "username"),
        ("@demo_handle", "username"),
        ("12345", "username"),
        ("a@b", "username"),
    ],
)
def test_kind_of_name(name, kind):
    assert kind_of_name(name) == kind


def test_only_a_username_step_says_what_it_accepts():
    Step(fill="username", accepts=["email"], into={"css": "input"})
    with pytest.raises(ValidationError):
        Step(fill="password", accepts=["email"], into={"css": "input"})
    with pytest.raises(ValidationError):
        Step(fill="username", accepts=["password"], into={"css": "input"})
