"""The flow schema's building blocks: how a flow points at things on a page (Locator), what it
looks for (Signal), a sign-in step (Step), and the checks every pattern and domain passes."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from optout.flowfile import patterns as patterns_

Role = Literal[
    "switch",
    "checkbox",
    "radio",
    "button",
    "textbox",
    "combobox",
    "menuitem",
    "menuitemradio",
    "link",
    "heading",
    "region",
    "dialog",
    "option",
    "alert",
    "tab",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_regexes(patterns: list[str]) -> list[str]:
    return [patterns_.check(pattern) for pattern in patterns]


#: Public suffixes of more than one label that a flow author might reach for; with every
#: single-label name (com, org, uk) none may be a flow's domain: it would own every site under it.
PUBLIC_SUFFIXES = frozenset(
    """
    co.uk org.uk ac.uk gov.uk me.uk net.uk ltd.uk plc.uk com.au net.au org.au edu.au gov.au co.nz
    org.nz net.nz co.jp ne.jp or.jp ac.jp go.jp co.kr or.kr com.br net.br org.br com.cn net.cn
    org.cn com.mx com.ar com.co com.tr com.sg com.hk com.tw com.my com.ph com.pk com.ng com.eg
    com.sa com.ua co.in net.in org.in co.za co.il co.id co.th com.vn com.pe com.ve com.ec co.ke
    github.io gitlab.io blogspot.com appspot.com herokuapp.com netlify.app vercel.app pages.dev
    web.app firebaseapp.com azurewebsites.net cloudfront.net amazonaws.com s3.amazonaws.com
    workers.dev glitch.me onrender.com fly.dev
""".split()
)


def check_domains(domains: list[str]) -> list[str]:
    for domain in domains:
        name = domain.lower().rstrip(".")
        if "." not in name or name in PUBLIC_SUFFIXES:
            raise ValueError(
                f"{domain!r} is a public suffix: a flow's domains must be the platform's own "
                "registrable domains (e.g. linkedin.com), never a suffix shared by other sites"
            )
        if name != domain or not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", name):
            raise ValueError(f"{domain!r} is not a lowercase domain name (e.g. linkedin.com)")
    return domains


class Locator(Strict):
    """How to find an element: by accessible role and name (preferred), by label, or by CSS."""

    #: The element's ARIA role (switch, button, textbox, …); give its accessible `name` too.
    role: Role | None = None
    #: Accessible names, any one matching (as part of the name unless `exact`).
    name: list[str] = Field(default_factory=list)
    #: Match the whole accessible name, not a part ("Turn off" must not match "Turn off and delete").
    exact: bool = False
    checked: bool | None = None  # only a radio or checkbox in this state
    #: A CSS selector, for elements with no usable role and name.
    css: str | None = None
    text: list[str] = Field(default_factory=list)  # by visible text (rows drawn without a role)

    _css = field_validator("css")(lambda v: v if v is None else patterns_.check_selector(v))

    @model_validator(mode="after")
    def _one_way(self):
        if sum(bool(x) for x in (self.role, self.css, self.text)) != 1:
            raise ValueError("give one of: a role (with a name), a css selector, a text")
        if self.role and not self.name and self.role in ("switch", "checkbox", "radio", "button"):
            raise ValueError(f"a {self.role} needs a name: locate controls by accessible name")
        return self


class Step(Strict):
    """One login step: type a value, or click."""

    #: What to type: the stored username, the password, or a code from the stored TOTP secret.
    fill: Literal["username", "password", "totp"] | None = None
    #: Click `into` instead of typing.
    click: bool = False
    #: The element typed into or clicked.
    into: Locator
    #: Some sign-ins show this step, others skip it: the engine waits for whichever comes first,
    #: this step's element or the next required step's.
    optional: bool = False
    #: For an optional step: taken only while the page also shows this (steps that share one input).
    when: Signal | None = None
    #: For fill: username, what the page asks for. The stored username is typed only when it is
    #: of one of these kinds (an e-mail address, a phone number, or any other name: a username);
    #: otherwise the sign-in stops at once as needs_human. Empty: whatever the username is.
    accepts: list[Literal["email", "phone", "username"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_action(self):
        if bool(self.fill) == bool(self.click):
            raise ValueError(
                "a step either fills (fill: username|password|totp) or clicks (click: true)"
            )
        if self.when is not None and not self.optional:
            raise ValueError("when: only an optional step can depend on what the page shows")
        if self.accepts and self.fill != "username":
            raise ValueError(
                "accepts: only a step with fill: username says what kind of name it takes"
            )
        return self


class Signal(Strict):
    """Something observable on a page: a URL pattern or an element (any match counts)."""

    #: Patterns searched in the page's URL.
    urls: list[str] = Field(default_factory=list)
    #: Elements on the page.
    present: list[Locator] = Field(default_factory=list)
    #: Patterns searched in the page's visible text, ignoring case.
    texts: list[str] = Field(default_factory=list)
    #: The signal does not count while the page also shows this (e.g. "unavailable" is a settings
    #: page without the setting, unless the setting's own section is there under another label).
    unless: Signal | None = None

    _v = field_validator("urls", "texts")(check_regexes)

    def matches_url(self, url: str) -> bool:
        return any(patterns_.search_url(p, url) for p in self.urls)

    def matches_text(self, text: str) -> bool:
        return any(patterns_.search_text(p, text) for p in self.texts)

    @model_validator(mode="after")
    def _not_empty(self):
        if not (self.urls or self.present or self.texts):
            raise ValueError("a signal needs at least one of urls, present, texts")
        return self
