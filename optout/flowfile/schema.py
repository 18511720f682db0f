"""The flow schema. A flow is data (YAML, safe-loaded by optout.flowfile.load) checked against
this schema; it cannot run code. Every URL a flow names must be https and inside the platform's
domains, so a credential can never be pointed at a foreign origin by a flow file. The reference a
flow author reads, docs/flows.md, is generated from it (optout.flowfile.docs)."""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, field_validator, model_validator

from optout.errors import UnknownPlatform
from optout.flowfile.controls import Control
from optout.flowfile.parts import (  # noqa: F401 - the schema's building blocks, named here too
    PUBLIC_SUFFIXES,
    Locator,
    Role,
    Signal,
    Step,
    Strict,
    check_domains,
    check_regexes,
    origin_of,
)

#: The interface languages of the EU members optout looks for sources in (docs/research/languages-2026-12.md).
EU_LANGUAGES = ("de", "fr", "es", "it", "nl", "pl", "pt", "sv")
#: Why a setting lacks one of them when its flow does not say.
NOT_RESEARCHED = "not researched: no localized source looked for yet"


class Challenge(Strict):
    #: What the page asks of a person (the detail names it): a code from the stored TOTP secret
    #: (answered when one is stored), a CAPTCHA, a Cloudflare-style "are you human" check, a
    #: checkpoint of unknown shape, approval on another device, a code sent by e-mail or text
    #: message, any other verification code, or a refused attempt ("we blocked an attempt…").
    kind: Literal[
        "totp",
        "captcha",
        "bot_check",
        "checkpoint",
        "app_approval",
        "email_code",
        "sms_code",
        "code",
        "blocked",
    ]
    #: How the page shows this challenge.
    when: Signal
    #: Only for totp: where the code goes and how it is sent.
    steps: list[Step] = Field(default_factory=list)

    @model_validator(mode="after")
    def _totp_steps(self):
        if self.kind == "totp" and not any(s.fill == "totp" for s in self.steps):
            raise ValueError("a totp challenge needs a step with fill: totp")
        return self


class Login(Strict):
    #: The sign-in page (https, inside the flow's domains, on a credential origin).
    url: str
    #: The only origins a credential may ever be typed into.
    credential_origins: list[str]
    #: What a signed-out page shows (a sign-in form, a sign-in URL).
    signed_out: Signal
    #: What only a signed-in page shows.
    signed_in: Signal
    #: The sign-in steps, in order.
    steps: list[Step]
    #: What the page shows when the username or password was refused.
    failure: Signal | None = None
    #: What the page may ask after the password (codes, CAPTCHAs, approval).
    challenges: list[Challenge] = Field(default_factory=list)
    #: Settle time for the single-page login apps, in milliseconds.
    timeout_ms: int = Field(default=20000, ge=1000, le=120000)


class Consent(Strict):
    """A cookie-consent dialog over the site's pages in a fresh browser (EU/UK). Wherever it shows,
    before anything is typed or clicked, the engine clicks only a button named in `decline` and in
    none of `never`, checks the dialog closed, and stops (`broken`) when it offers no such button."""

    #: How the dialog shows (its elements or texts, never a URL).
    dialog: Signal
    #: Decline button names per language, matched as part of the name; every language is tried (the
    #: dialog follows the country, not the account's language).
    decline: dict[str, list[str]]
    #: Stable selectors for the decline button, tried after the names (the name must still match).
    decline_css: list[str] = Field(default_factory=list)
    #: Names of buttons that accept more than needed: never clicked.
    never: dict[str, list[str]] = Field(default_factory=dict)
    #: The dialog also shows when a button named in `decline` or `never` does (a heading in a
    #: language the flow does not list, buttons in one it does).
    by_buttons: bool = False

    def decline_names(self) -> list[str]:
        return [n for names in self.decline.values() for n in names]

    def never_names(self) -> list[str]:
        return [n for names in self.never.values() for n in names]

    @model_validator(mode="after")
    def _safe(self):
        if not self.decline_names():
            raise ValueError('decline: give at least one label, e.g. decline: {en: ["Reject"]}')
        if self.dialog.urls:
            raise ValueError(
                "dialog: a consent dialog is found by its elements or texts, not by URL"
            )
        never = [n.lower() for n in self.never_names()]
        for name in self.decline_names():
            if any(bad in name.lower() or name.lower() in bad for bad in never):
                raise ValueError(
                    f"decline name {name!r} overlaps a never name: it could never be clicked safely"
                )
        return self


class Items(Strict):
    """Settings that exist once per thing the account owns (publications, blogs, sites)."""

    #: The page listing the account's items.
    url: str
    #: Each element matching `link` is one item; `pattern` takes the item's id from its href.
    link: Locator
    #: A pattern whose first group takes the item's id from a link's href.
    pattern: str
    #: What the list page shows when the account owns none (positive: then `unavailable`).
    empty: Signal
    #: What one item is called in results (publication, blog, site).
    noun: str = "item"

    _v = field_validator("pattern")(lambda v: check_regexes([v])[0])


class Guide(Strict):
    """A platform with no switch to automate: the steps, links and e-mail a person needs."""

    #: What the person does, in a line.
    summary: str
    #: The steps, in order.
    steps: list[str] = Field(default_factory=list)
    #: The platform's pages for it (https, inside the flow's domains).
    links: list[str] = Field(default_factory=list)
    #: Where to write, when the platform takes requests by e-mail.
    email_to: str | None = None
    #: The e-mail's subject.
    email_subject: str | None = None
    #: The e-mail's text.
    email_body: str | None = None
    #: needs_human: a person can act (form, e-mail, admin). unavailable: no control exists at all.
    state: Literal["needs_human", "unavailable"] = "needs_human"


class Reveal(Strict):
    """One click that brings a control into view when it has no URL of its own (a profile menu,
    then its Privacy entry): the first of `click` found on the page is clicked."""

    #: What to click, any one of them (the first found).
    click: list[Locator] = Field(min_length=1)


class Dialog(Strict):
    """A control in a dialog: the first of `open` found once is clicked to show it, the control is
    looked for only inside role=dialog, and after a change `close` (a named button) closes it. A
    `text` locator (here or in `open:`) is clicked through its row's own button or link when the
    row has one (engine/pageprobe.py ROW_JS), the text itself only when the row has none."""

    #: What opens the dialog, any one of them.
    open: list[Locator] = Field(min_length=1)
    #: The button that closes it after a change.
    close: Locator


class Save(Strict):
    """A change that counts only once saved: after the control, `click` (a named Save button) is
    clicked, and the engine waits for the save's answer. A failed save is never `off`."""

    #: The Save button.
    click: Locator
    #: URL pattern of the request that saves (any method but GET); its HTTP status decides.
    response: str | None = None
    #: What the page shows once saved, or when the save failed (counted only if new after the click).
    saved: Signal | None = None
    #: What the page shows when the save failed (counted only if new after the click).
    failed: Signal | None = None

    _v = field_validator("response")(lambda v: v if v is None else check_regexes([v])[0])

    @model_validator(mode="after")
    def _answer(self):
        if not (self.response or self.saved or self.failed):
            raise ValueError("a save needs a way to hear its answer: response, saved or failed")
        return self


class Setting(Strict):
    #: The setting's name on the command line (`optout off linkedin:ID`).
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    #: The setting's name as the platform words it.
    label: str
    #: What it does, in a sentence, for people reading results.
    description: str
    #: The page holding the control (https, inside the flow's domains; `{item}` for per-item
    #: settings).
    url: str
    #: The control and how its state is read; its `kind` says which.
    control: Control
    #: Its state on a new account: on, off, or varies (by region or account type).
    default: Literal["on", "off", "varies"] = "on"
    #: Where the setting exists, in words, when not everywhere.
    regions: str = ""
    #: Positive signs that the platform does not offer this setting to this account.
    unavailable: Signal | None = None
    #: Only switched off by `off` when asked for by name (or --all-settings).
    opt_in: bool = False
    #: When set, the setting exists per item and `url` contains {item}.
    items: Items | None = None
    #: Clicks, in order, that bring the control into view after `url` loads; each is made once, and
    #: only while the control is not on the page yet (the control itself is never clicked here).
    open: list[Reveal] = Field(default_factory=list)
    #: The control lives in a dialog opened from the page.
    dialog: Dialog | None = None
    #: The change counts only once a Save button is clicked.
    save: Save | None = None
    #: The UI languages this setting's strings are sourced in (a subset of the flow's). Default:
    #: the languages of the control's `names` when it has them, else all of the flow's. A page in
    #: any other language is `broken` with nothing touched.
    languages: list[str] | None = None
    #: Languages of EU_LANGUAGES this setting lacks, each with why (what was searched and not
    #: found); `optout platforms` shows them. Any other lacking one reads NOT_RESEARCHED.
    languages_missing: dict[str, str] = Field(default_factory=dict)

    def known_languages(self, flow_languages: list[str]) -> list[str]:
        if self.languages is not None:
            return [lang for lang in flow_languages if lang in self.languages]
        names = getattr(self.control, "names", None)
        if names:
            return [lang for lang in flow_languages if names.get(lang)]
        return list(flow_languages)

    def missing_languages(self, flow_languages: list[str]) -> dict[str, str]:
        """Each of EU_LANGUAGES this setting does not know, with why."""
        known = self.known_languages(flow_languages)
        return {
            lang: self.languages_missing.get(lang, NOT_RESEARCHED)
            for lang in EU_LANGUAGES
            if lang not in known
        }


class Flow(Strict):
    #: The platform's id: lowercase, the file's name (`linkedin` for linkedin.yaml).
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    #: The platform's name as people know it.
    name: str
    #: Raised at each change of the flow; a local or updated flow says which one it replaces.
    version: int = Field(ge=1)
    #: The day the flow's facts were last checked against their sources.
    checked: date
    #: Registrable domains of the platform; every URL in the flow must be inside them.
    domains: list[str] = Field(min_length=1)
    _d = field_validator("domains")(check_domains)
    #: The UI languages the flow's texts are sourced in (a page in another one is `broken`).
    languages: list[str] = Field(default_factory=lambda: ["en"])
    #: How sure each part is, in a line (H/M/L, as in docs/research).
    confidence: str = ""
    #: Where the flow's facts come from, in a line (the header comments hold each fact's source).
    source: str = ""
    #: How to sign in and tell signed-in from signed-out pages (none for a guide).
    login: Login | None = None
    #: The settings optout reads and switches off.
    settings: list[Setting] = Field(default_factory=list)
    #: Instead of login and settings: what a person does by hand.
    guide: Guide | None = None
    #: Anything else a person should know, shown with the platform.
    notes: str = ""
    #: The site's cookie-consent dialog (declined, never accepted).
    consent: Consent | None = None
    #: Where this flow came from: shipped, local (the person's flow folder) or update (a signed
    #: bundle). Set by the loader, never by the file: YAML cannot name a private attribute.
    _source: str = PrivateAttr("shipped")

    @property
    def flow_source(self) -> str:
        return self._source

    @model_validator(mode="after")
    def _urls_inside_domains(self):
        def inside(url: str, where: str) -> None:
            if not PLAIN_URL.fullmatch(url):
                raise ValueError(
                    f"{where}: {ascii(url)} is not a plain https URL (scheme://host/path, "
                    "ASCII, no backslash, space, control character, user name or password): "
                    "browsers and optout could read its host differently"
                )
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            if parts.scheme != "https" or not host:
                raise ValueError(f"{where}: {url!r} must be an https URL")
            if not any(host == d or host.endswith("." + d) for d in self.domains):
                raise ValueError(f"{where}: {url!r} is outside the flow's domains {self.domains}")

        if self.guide is not None:
            if self.login or self.settings:
                raise ValueError(
                    "guide: a guide has no login and no settings (nothing is automated)"
                )
            for i, link in enumerate(self.guide.links):
                inside(link, f"guide.links.{i}")
            return self
        if self.login is None or not self.settings:
            raise ValueError("login, settings: a flow needs both (or is a guide)")
        inside(self.login.url, "login.url")
        for i, origin in enumerate(self.login.credential_origins):
            inside(origin, f"login.credential_origins.{i}")
            if origin_of(origin) != origin.rstrip("/").lower():
                raise ValueError(
                    f"login.credential_origins.{i}: {origin!r} must be an origin (scheme://host)"
                )
        if origin_of(self.login.url) not in self.credential_origins:
            raise ValueError("login.url: the login page must be one of login.credential_origins")
        for i, setting in enumerate(self.settings):
            if ("{item}" in setting.url) != (setting.items is not None):
                raise ValueError(
                    f"settings.{i}.url: use {{item}} in the URL exactly when the setting has items"
                )
            inside(setting.url.replace("{item}", "item"), f"settings.{i}.url")
            if setting.control.kind == "form" and (setting.dialog or setting.save):
                raise ValueError(
                    f"settings.{i}: a form is sent with its own submit, never in a dialog nor saved"
                )
            if setting.items:
                inside(setting.items.url, f"settings.{i}.items.url")
            names = getattr(setting.control, "names", {})
            unknown = (set(names) | set(setting.languages or ())) - set(self.languages)
            if unknown:
                raise ValueError(
                    f"settings.{i}: languages {sorted(unknown)} are not in the flow's languages"
                )
            both = set(setting.languages_missing) & set(setting.known_languages(self.languages))
            if both:
                raise ValueError(
                    f"settings.{i}.languages_missing: {sorted(both)} are known languages of the setting"
                )
        ids = [s.id for s in self.settings]
        if len(ids) != len(set(ids)):
            raise ValueError("settings: two settings share an id")
        return self

    @cached_property
    def credential_origins(self) -> frozenset[str]:
        if self.login is None:
            return frozenset()
        return frozenset(o.rstrip("/").lower() for o in self.login.credential_origins)

    def owns(self, url: str) -> bool:
        """Whether a URL is an https page inside the platform's domains (about:blank, and an
        http:// downgrade of the platform's own address, are not)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return parts.scheme == "https" and any(
            host == d or host.endswith("." + d) for d in self.domains
        )

    def setting(self, setting_id: str) -> Setting:
        for setting in self.settings:
            if setting.id == setting_id:
                return setting
        raise UnknownPlatform(
            f"{self.name} has no setting '{setting_id}'.",
            f"Its settings: {', '.join(s.id for s in self.settings)}.",
        )


#: The only URLs a flow may name: https, a host of letters, digits, dots and dashes, an optional
#: port, then printable ASCII without a backslash. Python's urlsplit and a browser's WHATWG parser
#: read one host from these; what they could read differently (`\\`, `@`, tabs, controls,
#: percent-encoded hosts) is refused rather than parsed twice.
PLAIN_URL = re.compile(
    r"https://[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(?::[0-9]{1,5})?(?:[/?#][\x21-\x5b\x5d-\x7e]*)?"
)
