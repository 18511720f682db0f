"""The flow schema and loader. A flow is data (YAML, safe-loaded) checked against this schema;
it cannot run code. Every URL a flow names must be https and inside the platform's domains, so a
credential can never be pointed at a foreign origin by a flow file."""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from optout.errors import FlowError, UnknownPlatform
from optout.paths import flows_dir  # noqa: F401 - where the shipped flows are, named here too

MAX_FLOW_BYTES = 256 * 1024
from optout.flowbase import (  # noqa: F401 - the schema's building blocks, named here too
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

class Challenge(Strict):
    #: What the page asks of a person (the detail names it): a code from the stored TOTP secret
    #: (answered when one is stored), a CAPTCHA, a Cloudflare-style "are you human" check, a
    #: checkpoint of unknown shape, approval on another device, a code sent by e-mail or text
    #: message, any other verification code, or a refused attempt ("we blocked an attempt…").
    kind: Literal["totp", "captcha", "bot_check", "checkpoint", "app_approval", "email_code", "sms_code",
                  "code", "blocked"]
    when: Signal
    #: Only for totp: where the code goes and how it is sent.
    steps: list[Step] = Field(default_factory=list)

    @model_validator(mode="after")
    def _totp_steps(self):
        if self.kind == "totp" and not any(s.fill == "totp" for s in self.steps):
            raise ValueError("a totp challenge needs a step with fill: totp")
        return self


class Login(Strict):
    url: str
    #: The only origins a credential may ever be typed into.
    credential_origins: list[str]
    signed_out: Signal
    signed_in: Signal
    steps: list[Step]
    failure: Signal | None = None
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
            raise ValueError("dialog: a consent dialog is found by its elements or texts, not by URL")
        never = [n.lower() for n in self.never_names()]
        for name in self.decline_names():
            if any(bad in name.lower() or name.lower() in bad for bad in never):
                raise ValueError(f"decline name {name!r} overlaps a never name: it could never be clicked safely")
        return self


class Switch(Strict):
    """A switch or checkbox, read from aria-checked / checked."""

    kind: Literal["switch", "checkbox"]
    role: Literal["switch", "checkbox"]
    #: Accessible names per UI language (BCP 47 primary tag, e.g. "en", "de").
    names: dict[str, list[str]]
    #: What "opted out" reads as. Most are "unchecked"; a "Block AI training" box is "checked".
    opted_out_when: Literal["unchecked", "checked"] = "unchecked"

    @field_validator("names")
    @classmethod
    def _names(cls, names):
        if not names or not any(names.values()):
            raise ValueError("give at least one label, e.g. names: {en: [\"…\"]}")
        return names


class FormField(Strict):
    #: reason: the person's optional free text (default empty); email: the account's username.
    fill: Literal["reason", "email"]
    into: Locator
    optional: bool = True


class FormChoice(Strict):
    """A choice the form asks before (or besides) its fields: a radio, a checkbox, or an option of
    a dropdown, picked by its name. The first of `pick` found exactly once is chosen; when none is
    found the form is not sent (`broken`), since a wrong choice would send the wrong request."""

    pick: list[Locator] = Field(min_length=1)
    #: What the choice brings into view (the fields it reveals); waited for after picking.
    reveals: Locator | None = None
    #: Some versions of the form do not ask this: then the form is sent without it.
    optional: bool = False


class Notice(Strict):
    """A notice in the form's own place on the page (never a phrase anywhere in the body): an
    element matching `at` whose own text matches one of `texts`."""

    at: Locator
    texts: list[str] = Field(min_length=1)

    _v = field_validator("texts")(check_regexes)


class Form(Strict):
    """An objection form: sent once, then reported `submitted` (history remembers it)."""

    kind: Literal["form"]
    #: The element that shows the form is offered (usually its submit button).
    form: Locator
    #: Choices made, in order, before the fields are filled (e.g. which request this is).
    choose: list[FormChoice] = Field(default_factory=list)
    fields: list[FormField] = Field(default_factory=list)
    submit: Locator
    #: What the page shows once the objection was received. Counts only when it appeared after
    #: this run's own send (a page that already showed the words before the click proves nothing).
    confirmation: Signal
    #: The platform's own "you have already objected" notice, found in the form's place.
    already_submitted: Notice | None = None
    #: Before sending, stop when a field marked required (required / aria-required) is empty: a
    #: field the flow cannot fill (a country, an explanation) means the person must act.
    check_required: bool = True


class Choice(Strict):
    """A select (dropdown) or a radio group: the chosen option is the state."""

    kind: Literal["select", "radio"]
    #: select: the accessible name of the combobox. radio: unused (options are located by name).
    names: dict[str, list[str]] = Field(default_factory=dict)
    #: Option labels per language that mean opted out, and those that mean training is on.
    off_options: dict[str, list[str]]
    on_options: dict[str, list[str]]

    @model_validator(mode="after")
    def _select_named(self):
        if self.kind == "select" and not any(self.names.values()):
            raise ValueError("a select needs names: the accessible name of the dropdown")
        return self


class Menu(Strict):
    """A button showing the state ("On"/"Off") that opens a menu; off is one exact menu item."""

    kind: Literal["menu"]
    names: dict[str, list[str]]
    on_texts: dict[str, list[str]]
    off_texts: dict[str, list[str]]
    #: The menu item that switches off, matched exactly (never a "...and delete" sibling).
    item: dict[str, list[str]]


Control = Annotated[Switch | Form | Choice | Menu, Field(discriminator="kind")]


class Items(Strict):
    """Settings that exist once per thing the account owns (publications, blogs, sites)."""

    url: str
    #: Each element matching `link` is one item; `pattern` takes the item's id from its href.
    link: Locator
    pattern: str
    #: What the list page shows when the account owns none (positive: then `unavailable`).
    empty: Signal
    noun: str = "item"

    _v = field_validator("pattern")(lambda v: check_regexes([v])[0])


class Guide(Strict):
    """A platform with no switch to automate: the steps, links and e-mail a person needs."""

    summary: str
    steps: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    email_to: str | None = None
    email_subject: str | None = None
    email_body: str | None = None
    #: needs_human: a person can act (form, e-mail, admin). unavailable: no control exists at all.
    state: Literal["needs_human", "unavailable"] = "needs_human"


class Reveal(Strict):
    """One click that brings a control into view when it has no URL of its own (a profile menu,
    then its Privacy entry): the first of `click` found on the page is clicked."""

    click: list[Locator] = Field(min_length=1)


class Dialog(Strict):
    """A control in a dialog: the first of `open` found once is clicked to show it, the control is
    looked for only inside role=dialog, and after a change `close` (a named button) closes it. A
    `text` locator (here or in `open:`) is clicked through its row's own button or link when the
    row has one (engine/pageprobe.py ROW_JS), the text itself only when the row has none."""

    open: list[Locator] = Field(min_length=1)
    close: Locator


class Save(Strict):
    """A change that counts only once saved: after the control, `click` (a named Save button) is
    clicked, and the engine waits for the save's answer. A failed save is never `off`."""

    click: Locator
    #: URL pattern of the request that saves (any method but GET); its HTTP status decides.
    response: str | None = None
    #: What the page shows once saved, or when the save failed (counted only if new after the click).
    saved: Signal | None = None
    failed: Signal | None = None

    _v = field_validator("response")(lambda v: v if v is None else check_regexes([v])[0])

    @model_validator(mode="after")
    def _answer(self):
        if not (self.response or self.saved or self.failed):
            raise ValueError("a save needs a way to hear its answer: response, saved or failed")
        return self


class Setting(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    label: str
    description: str
    url: str
    control: Control
    default: Literal["on", "off", "varies"] = "on"
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
    dialog: Dialog | None = None
    save: Save | None = None
    #: The UI languages this setting's strings are sourced in (a subset of the flow's). Default:
    #: the languages of the control's `names` when it has them, else all of the flow's. A page in
    #: any other language is `broken` with nothing touched.
    languages: list[str] | None = None

    def known_languages(self, flow_languages: list[str]) -> list[str]:
        if self.languages is not None:
            return [lang for lang in flow_languages if lang in self.languages]
        names = getattr(self.control, "names", None)
        if names:
            return [lang for lang in flow_languages if names.get(lang)]
        return list(flow_languages)


class Flow(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    name: str
    version: int = Field(ge=1)
    checked: date
    #: Registrable domains of the platform; every URL in the flow must be inside them.
    domains: list[str] = Field(min_length=1)
    _d = field_validator("domains")(check_domains)
    languages: list[str] = Field(default_factory=lambda: ["en"])
    confidence: str = ""
    #: Where the flow's facts come from, in a line (the header comments hold each fact's source).
    source: str = ""
    login: Login | None = None
    settings: list[Setting] = Field(default_factory=list)
    guide: Guide | None = None
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
                raise ValueError(f"{where}: {ascii(url)} is not a plain https URL (scheme://host/path, "
                                 "ASCII, no backslash, space, control character, user name or password): "
                                 "browsers and optout could read its host differently")
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            if parts.scheme != "https" or not host:
                raise ValueError(f"{where}: {url!r} must be an https URL")
            if not any(host == d or host.endswith("." + d) for d in self.domains):
                raise ValueError(f"{where}: {url!r} is outside the flow's domains {self.domains}")

        if self.guide is not None:
            if self.login or self.settings:
                raise ValueError("guide: a guide has no login and no settings (nothing is automated)")
            for i, link in enumerate(self.guide.links):
                inside(link, f"guide.links.{i}")
            return self
        if self.login is None or not self.settings:
            raise ValueError("login, settings: a flow needs both (or is a guide)")
        inside(self.login.url, "login.url")
        for i, origin in enumerate(self.login.credential_origins):
            inside(origin, f"login.credential_origins.{i}")
            if origin_of(origin) != origin.rstrip("/").lower():
                raise ValueError(f"login.credential_origins.{i}: {origin!r} must be an origin (scheme://host)")
        if origin_of(self.login.url) not in self.credential_origins:
            raise ValueError("login.url: the login page must be one of login.credential_origins")
        for i, setting in enumerate(self.settings):
            if ("{item}" in setting.url) != (setting.items is not None):
                raise ValueError(f"settings.{i}.url: use {{item}} in the URL exactly when the setting has items")
            inside(setting.url.replace("{item}", "item"), f"settings.{i}.url")
            if setting.control.kind == "form" and (setting.dialog or setting.save):
                raise ValueError(f"settings.{i}: a form is sent with its own submit, never in a dialog nor saved")
            if setting.items:
                inside(setting.items.url, f"settings.{i}.items.url")
            names = getattr(setting.control, "names", {})
            unknown = (set(names) | set(setting.languages or ())) - set(self.languages)
            if unknown:
                raise ValueError(f"settings.{i}: languages {sorted(unknown)} are not in the flow's languages")
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
        return parts.scheme == "https" and any(host == d or host.endswith("." + d) for d in self.domains)

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
PLAIN_URL = re.compile(r"https://[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                       r"(?::[0-9]{1,5})?(?:[/?#][\x21-\x5b\x5d-\x7e]*)?")


def _where(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def load_flow(path: Path) -> Flow:
    try:
        size = path.stat().st_size
        if size > MAX_FLOW_BYTES:
            raise FlowError(f"{path}: {size} bytes is too large for a flow file (limit {MAX_FLOW_BYTES}).")
        text = path.read_text(encoding="utf-8")
    except FlowError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(f"{path}: cannot read this flow file: {exc}") from None
    return parse_flow(text, str(path), path.stem)


def parse_flow(text: str, where: str, stem: str) -> Flow:
    """A flow from its YAML `text`; `where` names it in errors (a path, or a file in a bundle) and
    `stem` is the file name its id must match."""
    import yaml

    from optout import flowyaml

    name = where.rsplit("/", 1)[-1]
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FLOW_BYTES:
        raise FlowError(f"{where}: too large for a flow file (limit {MAX_FLOW_BYTES} bytes).")
    try:
        data = flowyaml.load(text, where)  # safe constructors, no anchors or aliases
    except yaml.YAMLError as exc:
        raise FlowError(f"{where}: cannot read this flow file: {exc}") from None
    except RecursionError:
        raise FlowError(f"{where}: this flow file is nested too deeply to be a flow.") from None
    if not isinstance(data, dict):
        raise FlowError(f"{where}: a flow file must be a YAML mapping at the top level.")
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(f"  {name}: {_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise FlowError(f"{where}: this flow file does not match the schema:\n{problems}") from None
    if flow.id != stem:
        raise FlowError(f"{where}: id: '{flow.id}' must match the file name '{stem}'.")
    return flow


def load_flows(directory: Path | None = None) -> dict[str, Flow]:
    """The flows of `directory` alone; without one, the shipped flows with the person's local
    flows and an installed signed update laid over them (optout.flowlayers)."""
    if directory is None:
        from optout.flowlayers import layered_flows

        return layered_flows()
    return {p.stem: load_flow(p) for p in sorted(directory.glob("*.yaml"))}


def resolve(platforms: list[str] | None, directory: Path | None = None) -> list[Flow]:
    flows = load_flows(directory)
    if not platforms:
        return list(flows.values())
    unknown = [p for p in platforms if p not in flows]
    if unknown:
        from difflib import get_close_matches

        guesses = [g for p in unknown for g in get_close_matches(p, flows, n=1)]
        raise UnknownPlatform(
            f"optout has no flow for {', '.join(unknown)}."
            + (f" Did you mean {' or '.join(dict.fromkeys(guesses))}?" if guesses else ""),
            f"Supported: {', '.join(flows)} (see `optout platforms`).",
        )
    return [flows[p] for p in platforms]
