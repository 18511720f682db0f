"""Challenges the engine recognises on every flow's pages, whether or not the flow declares them:
CAPTCHA frames, Cloudflare's "are you human" check, checkpoint URLs, codes sent by e-mail or text
message, approval on another device, a refused attempt. A person must answer each one; optout
types nothing into it and clicks nothing while it shows.

A flow's own `login.challenges` are looked at first (its TOTP step is answered from a stored
secret); the engine's list comes after, and also refines a flow's vague reading ("checkpoint",
"captcha") when it knows better what the page asks (a code sent by e-mail is not a CAPTCHA).

Every signal is a public wording, a frame's host or a URL path; the sources, dates and confidence
of each are in docs/research/signin-challenges.md. Signals stay narrow so that an ordinary settings
page never reads as a challenge: frames count only when visible (an invisible reCAPTCHA badge is
not a question), texts are whole public phrases, and LinkedIn's own sign-in page
(/checkpoint/lg/…) is not a checkpoint."""

from __future__ import annotations

from playwright.async_api import Page

from optout.engine.pageprobe import body_text, matches
from optout.flowfile.schema import Challenge, Flow, Locator, Signal

APOS = "['’]"


def _frames(*hosts: str) -> Locator:
    """Visible frames served from these hosts (a substring of their src)."""
    return Locator(
        css=", ".join(f"iframe[src*='{h}']:not([src*='size=invisible']):visible" for h in hosts)
    )


#: The engine's own challenges, most specific first: the first that matches names the page.
ENGINE: list[Challenge] = [
    Challenge(
        kind="blocked",
        when=Signal(
            texts=[
                "we blocked an attempt to access your account",
                "suspicious login prevented",
                "our systems have detected unusual activity",
            ]
        ),
    ),
    Challenge(
        kind="email_code",
        when=Signal(
            texts=[
                r"\b(code|PIN)\b[^.\n]{0,60}\b(sent|emailed|mailed)\b[^.\n]{0,40}\be-?mail",
                r"\b(sent|emailed)\b[^.\n]{0,40}\b(code|PIN)\b[^.\n]{0,40}\be-?mail",
                r"\bcheck the PIN in your (inbox|e-?mail)",
            ]
        ),
    ),
    Challenge(
        kind="sms_code",
        when=Signal(
            texts=[
                r"\b(code|PIN)\b[^.\n]{0,60}\b(sent|texted)\b[^.\n]{0,40}\b(phone|mobile|number ending|text message|SMS)\b",
                r"\b(sent|texted)\b[^.\n]{0,40}\b(code|PIN)\b[^.\n]{0,40}\b(phone|mobile|number ending|text message|SMS)\b",
            ]
        ),
    ),
    Challenge(
        kind="app_approval",
        when=Signal(
            texts=[
                f"approve this login on a phone or computer you{APOS}ve used before",
                r"approve (this|the) (log ?in|sign[- ]?in) (on|from) (another|your other) device",
            ]
        ),
    ),
    Challenge(
        kind="bot_check",
        when=Signal(
            urls=[r"/cdn-cgi/challenge-platform/", r"[?&]__cf_chl_(rt_|f_)?tk="],
            present=[_frames("challenges.cloudflare.com")],
            texts=[
                "verify you are human by completing the action below",
                "needs to review the security of your connection before proceeding",
                "checking if the site connection is secure",
                "checking your browser before accessing",
            ],
        ),
    ),
    Challenge(
        kind="captcha",
        when=Signal(
            present=[
                _frames(
                    "arkoselabs.com",
                    "funcaptcha.com",
                    "hcaptcha.com",
                    "google.com/recaptcha/",
                    "recaptcha.net/recaptcha/",
                )
            ]
        ),
    ),
    Challenge(
        kind="code",
        when=Signal(present=[Locator(css="input[autocomplete='one-time-code']:visible")]),
    ),
    Challenge(
        kind="checkpoint",
        when=Signal(
            # /challenge/ only at the top of the path (Instagram's): Google's ordinary password step
            # is /v3/signin/challenge/pwd, and a refused password there is not a checkpoint. Any
            # /checkpoint/ but /checkpoint/lg/ (spelled out: patterns run in RE2, without lookahead).
            urls=[
                r"^https://[^/?#]+/checkpoint/([^l]|l([^g]|$)|lg([^/]|$)|$)",
                r"^https://[^/?#]+/challenge(/|$|\?)",
                r"^https://[^/?#]+/account/access(/|$|\?)",
            ],
            texts=[
                f"let{APOS}s do a quick security check",
                "checkpoint required",
                r"we suspect automated behaviou?r on your account",
            ],
        ),
    ),
]

#: A flow's reading the engine may name more precisely (kind → kinds that say more).
REFINES = {
    "checkpoint": {
        "captcha",
        "bot_check",
        "app_approval",
        "email_code",
        "sms_code",
        "code",
        "blocked",
    },
    "captcha": {"bot_check", "app_approval", "email_code", "sms_code", "blocked"},
}


async def challenge_on(page: Page, flow: Flow, text: str | None = None) -> Challenge | None:
    """The challenge the page shows, or None: the flow's own first (a declared TOTP step is then
    the engine's to answer), else the engine's; a vague flow reading gives way to a precise one."""
    text = await body_text(page) if text is None else text
    declared = None
    for challenge in flow.login.challenges if flow.login else []:
        if await matches(page, challenge.when, text):
            declared = challenge
            break
    if declared is not None and declared.kind not in REFINES:
        return declared
    for challenge in ENGINE:
        if declared is not None and challenge.kind not in REFINES[declared.kind]:
            continue
        if await matches(page, challenge.when, text):
            return challenge
    return declared


ASKED = {
    "captcha": "a security check (CAPTCHA)",
    "bot_check": "a check that you are human (Cloudflare)",
    "checkpoint": "a security checkpoint",
    "app_approval": "approval on another device (a phone or computer signed in before)",
    "email_code": "a code sent by e-mail",
    "sms_code": "a code sent by text message",
    "code": "a verification code",
    "totp": "a verification code",
}


def asked_words(kind: str) -> str:
    """What the platform did, in a few words after its name ("LinkedIn asks for a code sent by
    e-mail"): what a sign-in hold and the person at the window are told."""
    if kind == "blocked":
        return "blocked the sign-in attempt (it was not sure it was really you)"
    return f"asks for {ASKED.get(kind, 'a check only a person can answer')}"


def asks(flow: Flow, kind: str) -> str:
    """What the page asks of a person, in words, and what to do: always ends with the command
    that lets the person answer it themselves."""
    name, login = flow.name, f"Sign in yourself: `optout login {flow.id}`."
    if kind == "blocked":
        return (
            f"{name} blocked the sign-in attempt: it was not sure it was really you. optout typed "
            f"nothing more and will not try again in this run. {login}"
        )
    return f"{name} asks for {ASKED[kind]}, which a person must answer; optout typed nothing into it. {login}"
