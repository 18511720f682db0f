"""Issue 23, item 3: a notification never carries the password or the TOTP secret in another
spelling: base64 (alone, inside a longer value, URL-safe), the TOTP key lowercased or grouped by
four as authenticator apps show it. The one scrub list (logs.register_secret) covers them all."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote

import pytest

from optout import logs, notify

SENTINEL_PASSWORD = "S3nt&<>\"' %/inel"
SENTINEL_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def b64(text: str, *, urlsafe: bool = False) -> str:
    enc = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return enc(text.encode()).decode()


SPELLINGS = {
    "password base64": b64(SENTINEL_PASSWORD),
    "password base64 url-safe, unpadded": b64(SENTINEL_PASSWORD, urlsafe=True).rstrip("="),
    "password inside basic auth": b64(f"jane@example.com:{SENTINEL_PASSWORD}"),
    "password, one byte in": b64("x" + SENTINEL_PASSWORD + "y"),
    "password HTML-escaped": html.escape(SENTINEL_PASSWORD),
    "password URL-encoded": quote(SENTINEL_PASSWORD, safe=""),
    "password JSON-escaped": json.dumps(SENTINEL_PASSWORD)[1:-1],
    "totp lowercased": SENTINEL_TOTP.lower(),
    "totp grouped by four": " ".join(
        SENTINEL_TOTP[i : i + 4] for i in range(0, len(SENTINEL_TOTP), 4)
    ),
    "totp lowercased, grouped by four with dashes": "-".join(
        SENTINEL_TOTP.lower()[i : i + 4] for i in range(0, len(SENTINEL_TOTP), 4)
    ),
    "totp base64": b64(SENTINEL_TOTP),
}


@pytest.mark.parametrize("how", sorted(SPELLINGS))
def test_a_notification_carries_no_spelling_of_a_secret(how):
    logs.register_secret(SENTINEL_PASSWORD)
    logs.register_secret(SENTINEL_TOTP)
    text = f"LinkedIn said: {SPELLINGS[how]} (see the report)"
    sent = notify.scrub(text)
    assert SPELLINGS[how] not in sent, sent
    assert "LinkedIn said:" in sent and "(see the report)" in sent
    assert SPELLINGS[how] not in logs.scrub(text)


def test_ordinary_text_is_left_alone():
    logs.register_secret(SENTINEL_PASSWORD)
    logs.register_secret(SENTINEL_TOTP)
    text = "LinkedIn: 2 settings switched off; 1 needs you (sign in with `optout login linkedin`)."
    assert notify.scrub(text) == text
