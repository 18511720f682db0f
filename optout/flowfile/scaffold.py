"""`optout flows new ID`: the three files a new platform starts from, in a clone of optout (as
autoconsent's `create-rule` starts a rule and its test): the flow (flows/ID.yaml, one switch on one
settings page, every fact a placeholder to source), its sandbox replica on the one-setting kit
(optout/sandbox/ID.py) and a short test that drives the flow against the replica through real
Chromium (tests/flows/test_ID.py). The three agree with each other, so the test passes as written;
the work left is making flow and replica match the real platform, with sources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

from optout.errors import OptoutError
from optout.flowfile.load import parse_flow
from optout.flowfile.parts import check_domains

FLOW = Template("""\
# $name. Scaffolded by `optout flows new` on $today: every value below is a placeholder until it
# names its public source (URL, repository and path, date) and a confidence (H/M/L) here, as the
# other flows do; docs/flows.md explains each key.
# TODO(source): the settings page URL and the switch's accessible name.
# TODO(source): the sign-in page, and where a signed-out visit to the settings page is sent.
# Sign-in: none typed (a saved session from `optout login $id`); a password sign-in adds `steps:`
# (see flows/github.yaml) and the replica's `signin` (optout/sandbox/github.py).
id: $id
name: $name
version: 1
checked: $today
domains: [$domain]
languages: [en]
confidence: "placeholders from optout flows new: nothing checked yet"

login:
  url: $setting_url
  credential_origins: [$origin]
  signed_out:
    urls:
      - '^$signin_pattern'
  signed_in:
    present:
      - {role: switch, name: ["$label"]}
  steps: []

settings:
  - id: $setting
    label: $label
    description: >-
      TODO: what this setting lets $name do with the person's data, in a sentence.
    url: $setting_url
    default: "on"
    control:
      kind: switch
      role: switch
      names:
        en: ["$label"]
      opted_out_when: unchecked
""")

REPLICA = Template('''\
"""$name replica, scaffolded by `optout flows new`: one switch on one settings page that saves
each change at once, and the sandbox's e-mail-link sign-in (optout/sandbox/kit/onesetting.py, which
also gives it the common misbehaviours). Make its page look like the real one as the flow's facts
are sourced (flows/$id.yaml)."""

from __future__ import annotations

from optout.sandbox.kit.onesetting import OneSettingReplica


class $cls(OneSettingReplica):
    platform = "$id"
    hosts = ("$host",)
    settings = ("$setting",)
    setting = "$setting"
    session_cookie = ("$cookie", ".$domain")
    setting_url = "$setting_url"
    signin_url = "$signin_url"
    title = "$name settings"
    page_heading = "Privacy"
    heading = "$label"
    label = "$label"
''')

TEST = Template('''\
"""$name: its flow against its sandbox replica through real Chromium (scaffolded by `optout flows
new`): check reads on and touches nothing, off switches off and verifies it after a reload, and a
switch whose label changed is broken with nothing clicked. Add what is special to $name."""

from __future__ import annotations

PLATFORM, SETTING = "$id", "$setting"


async def test_check_reads_on_and_changes_nothing(configure, run_flow):
    replica = configure(PLATFORM, session=True)
    [result] = await run_flow(PLATFORM, "check")
    assert (result.setting, result.state, result.changed) == (SETTING, "on", False), result.detail
    assert replica.events("save") == []


async def test_off_switches_off_and_verifies_after_reload(configure, run_flow):
    replica = configure(PLATFORM, session=True)
    [result] = await run_flow(PLATFORM, "off")
    assert (result.state, result.changed) == ("off", True), result.detail
    assert "reload" in result.detail
    assert replica.state["settings"][SETTING] is False
    assert [(e["on"], e["status"]) for e in replica.events("save")] == [(False, 200)]


async def test_a_changed_label_is_broken_and_nothing_is_clicked(configure, run_flow):
    replica = configure(PLATFORM, "label_gone", session=True)
    [result] = await run_flow(PLATFORM, "off", find_timeout_s=2)
    assert (result.state, result.changed) == ("broken", False), result.detail
    assert replica.events("save") == [] and replica.state["settings"][SETTING] is True
''')


@dataclass(frozen=True)
class NewPlatform:
    id: str
    name: str
    domain: str
    setting: str = "ai-training"
    label: str = "Use my content to train AI models"

    def values(self) -> dict[str, str]:
        host = f"www.{self.domain}"
        return {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "setting": self.setting,
            "label": self.label,
            "today": date.today().isoformat(),
            "host": host,
            "origin": f"https://{host}",
            "setting_url": f"https://{host}/settings/privacy",
            "signin_url": f"https://{host}/login",
            "signin_pattern": re.escape(f"https://{host}/login"),
            "cls": "".join(part.capitalize() for part in re.split(r"[-_]", self.id)),
            "cookie": f"{self.id.replace('-', '_')}_session",
        }


def paths_in(checkout: Path, platform_id: str) -> dict[str, Path]:
    return {
        "flow": checkout / "flows" / f"{platform_id}.yaml",
        "replica": checkout / "optout" / "sandbox" / f"{platform_id.replace('-', '_')}.py",
        "test": checkout / "tests" / "flows" / f"test_{platform_id.replace('-', '_')}.py",
    }


def check_request(new: NewPlatform, checkout: Path) -> dict[str, Path]:
    """The files to write, or OptoutError naming what is wrong and what to do."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,39}", new.id) or new.id.endswith("-"):
        raise OptoutError(
            f"'{new.id}' cannot be a platform id.",
            "Use lowercase letters, digits and dashes, starting with a letter (e.g. acme-chat).",
        )
    try:
        check_domains([new.domain])
    except ValueError as exc:
        raise OptoutError(
            f"--domain: {exc}.", "Give the platform's own domain, e.g. --domain acme.com."
        ) from None
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", new.setting):
        raise OptoutError(
            f"'{new.setting}' cannot be a setting id.", "Use lowercase letters, digits and dashes."
        )
    if not all((checkout / d).is_dir() for d in ("flows", "optout/sandbox/kit", "tests/flows")):
        raise OptoutError(
            f"{checkout} is not a clone of optout's repository (no flows/, optout/sandbox/ "
            "and tests/flows/ there).",
            "Run it at the top of a clone of optout's repository, or give its path with --into.",
        )
    files = paths_in(checkout, new.id)
    taken = [str(p.relative_to(checkout)) for p in files.values() if p.exists()]
    if taken:
        raise OptoutError(
            f"{new.id} exists already: {', '.join(taken)}.", "Pick another id, or edit those files."
        )
    return files


def scaffold(new: NewPlatform, checkout: Path) -> dict[str, Path]:
    """Write the flow, the replica and the test for `new` into `checkout`; nothing is written when
    any of them exists or the flow would not load."""
    files = check_request(new, checkout)
    values = new.values()
    texts = {
        "flow": FLOW.substitute(values),
        "replica": REPLICA.substitute(values),
        "test": TEST.substitute(values),
    }
    parse_flow(
        texts["flow"], str(files["flow"]), new.id
    )  # a scaffold that does not load is a bug here
    for what, path in files.items():
        path.write_text(texts[what], encoding="utf-8")
    return files
