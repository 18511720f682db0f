"""Tell the person when something needs them: a desktop notification and any apprise URL.

A notification leaves the machine (e-mail, ntfy, Matrix, Slack, ...), so everything is scrubbed
first: whatever looks like a cookie, session token or password, and every value registered with
logs.register_secret(), is replaced before sending. The apprise URLs themselves often hold tokens, so
they are kept in the OS keyring (never in a schedule file) and never echoed back in full.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import keyring
import keyring.errors

from optout import logs
from optout.credentials import entry_delete, entry_get, entry_set
from optout.errors import KeyringUnavailable
from optout.filestore import uses_file_store
from optout.logs import register_secret
from optout.paths import Profile, folder_tag
from optout.report import as_dict, inert

KEYRING_SERVICE = "optout-notify"
REDACTED = "[redacted]"
_run = subprocess.run  # tests replace this

_SCRUBS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    (re.compile(r"(?i)\b(set-cookie|cookie|authorization)\s*:[^\n]*"), rf"\1: {REDACTED}"),
    (
        re.compile(
            r"(?i)\b([\w.-]*(?:session|token|auth|csrf|secret|password|passwd|pwd|api[_-]?key"
            r"|li_at|jsessionid|sid|sessid)[\w.-]*)\s*[=:]\s*(\"[^\"]*\"|'[^']*'|[^\s;,&]+)"
        ),
        rf"\1={REDACTED}",
    ),
    (re.compile(r"://[^/\s:@]+:[^/\s@]+@"), f"://{REDACTED}@"),  # user:password@ in URLs
]
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_\-+=%]{32,}")


@dataclass(frozen=True)
class Delivery:
    target: str  # "desktop" or "scheme://…": never the full URL, which may hold a token
    ok: bool
    error: str = ""


def scrub(text: str) -> str:
    """Every secret logs knows of (logs.register_secret), then whatever looks like a token."""
    text = logs.scrub(text, REDACTED)
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)

    def long_token(m: re.Match) -> str:
        s = m.group(0)
        return REDACTED if re.search(r"\d", s) and re.search(r"[A-Za-z]", s) else s

    return _LONG_TOKEN.sub(long_token, text)


def redact_url(url: str) -> str:
    scheme = urlsplit(url).scheme or "?"
    return f"{scheme}://…"


# -- where the URLs live ------------------------------------------------------------------------


def _keyring():
    return keyring, keyring.errors.KeyringError


def entry_user(profile: str, root: Path | None = None) -> str:
    """The keyring username of a profile's URLs in this data folder (see paths.folder_tag)."""

    return f"{profile}@{folder_tag(root)}"


def _delete(keyring, name: str) -> bool:
    try:
        keyring.delete_password(KEYRING_SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        return False
    return True


def _file_store(profile: str):
    """The profile, when it chose the file store for its secrets (optout.credentials), else None."""

    found = Profile(profile)
    return found if uses_file_store(found) else None


def save_urls(profile: str, urls: list[str]) -> None:
    if (chosen := _file_store(profile)) is not None:
        if urls:
            entry_set(chosen, "notify-urls", value=json.dumps(list(urls)))
        else:
            entry_delete(chosen, "notify-urls")
        return
    keyring, KeyringError = _keyring()
    try:
        if urls:
            keyring.set_password(KEYRING_SERVICE, entry_user(profile), json.dumps(list(urls)))
        elif not _delete(keyring, entry_user(profile)):
            _delete(keyring, profile)  # stored before entries were tied to the data folder
    except KeyringError as exc:
        raise KeyringUnavailable(
            f"Could not store the notification addresses in the keyring ({exc}).",
            "They may contain tokens, so optout keeps them only in the OS keyring; "
            "unlock or install one (e.g. gnome-keyring) and try again.",
        ) from None


def load_urls(profile: str) -> list[str]:
    if (chosen := _file_store(profile)) is not None:
        raw = entry_get(chosen, "notify-urls")
    else:
        keyring, KeyringError = _keyring()
        try:
            # Not the legacy, folder-less name (`default`): nothing proves which data folder
            # stored it, so no folder takes it; `optout notify add` stores them for this one.
            raw = keyring.get_password(KEYRING_SERVICE, entry_user(profile))
        except KeyringError:
            return []  # an unattended run without a keyring still gets its desktop notification
    urls = json.loads(raw) if raw else []
    for url in urls:
        register_secret(url)
    return urls


# -- sending ------------------------------------------------------------------------------------


def _desktop(title: str, body: str) -> Delivery | None:
    if sys.platform == "darwin" and shutil.which("osascript"):
        # Text goes in as arguments, never into the script, so quotes in it cannot inject AppleScript.
        cmd = [
            "osascript",
            "-e",
            "on run argv",
            "-e",
            "display notification (item 2 of argv) with title (item 1 of argv)",
            "-e",
            "end run",
            title,
            body,
        ]
    elif (
        sys.platform.startswith("linux")
        and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        and shutil.which("notify-send")
    ):
        cmd = ["notify-send", "--app-name=optout", "--", title, body]
    else:
        return None
    try:
        done = _run(cmd, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.SubprocessError) as exc:
        return Delivery("desktop", False, str(exc))
    return Delivery("desktop", done.returncode == 0, (done.stderr or "").strip()[:200])


def notify(title: str, body: str, urls: Iterable[str] = (), desktop: bool = True) -> list[Delivery]:
    """Send a scrubbed notification to the desktop (where there is one) and to every apprise URL."""

    urls = list(urls)
    for url in urls:
        register_secret(url)
    title, body = scrub(inert(title)), scrub(inert(body))
    sent: list[Delivery] = []
    if desktop and (d := _desktop(title, body)) is not None:
        sent.append(d)
    if urls:
        import apprise  # lazily: it pulls in requests and friends

        for url in urls:
            target = redact_url(url)
            bundle = apprise.Apprise()
            if not bundle.add(url):
                sent.append(Delivery(target, False, "not a notification URL apprise understands"))
                continue
            try:
                ok = bool(bundle.notify(title=title, body=body))
            except Exception as exc:  # a plugin failing must not end the run
                sent.append(Delivery(target, False, scrub(str(exc))[:200]))
                continue
            sent.append(Delivery(target, ok, "" if ok else "the service did not accept it"))
    return sent


def attention_message(
    profile: str, drift: Iterable, results: Iterable = ()
) -> tuple[str, str] | None:
    """(title, body) when drift, a change or a result needs the person, else None: scheduled runs
    stay quiet only when they found nothing and changed nothing."""

    lines, to_do, fixed = [], 0, 0
    covered = set()  # a setting whose drift already says it was switched off again
    for d in map(as_dict, drift):
        who = f" ({d['account']})" if d.get("account") else ""
        lines.append(f"{d['platform']}{who}: {d['detail']}")
        if d.get("fixed"):
            fixed += 1
            covered.add((d["platform"], d.get("account"), d.get("setting")))
        else:
            to_do += 1
    for r in map(as_dict, results):
        who = f" ({r['account']})" if r.get("account") else ""
        label = r.get("label") or r["setting"]
        if str(r.get("state")) in ("needs_human", "needs_login"):
            what = (
                "asks for a person (code, puzzle or check)"
                if r["state"] == "needs_human"
                else "needs you to sign in again"
            )
            line = f"{r['platform']}{who}: {what}"
            if line not in lines:
                lines.append(line)
                to_do += 1
        elif r.get("changed") and (r["platform"], r.get("account"), r["setting"]) not in covered:
            what = "sent the objection" if str(r["state"]) == "submitted" else "switched off"
            lines.append(f"{r['platform']}{who}: {what} '{label}'")
    if not lines:
        return None
    n = len(lines)
    if to_do:
        title = (
            f"optout: {n} thing{'s' if n != 1 else ''} need{'s' if n == 1 else ''} your attention"
        )
    elif fixed:
        title = (
            f"optout: {fixed} setting{'s were' if fixed != 1 else ' was'} switched back on; "
            "switched off again"
        )
    else:
        title = f"optout: {n} change{'s' if n != 1 else ''} made to your accounts"
    body = "\n".join(lines) + f"\n\nSee: optout --profile {profile} report"
    return title, body


def notify_run(
    profile: str,
    drift: Iterable,
    results: Iterable = (),
    urls: list[str] | None = None,
    desktop: bool = True,
) -> list[Delivery]:
    """Notify about one run's drift and needs_human/needs_login results; nothing when all is well."""
    message = attention_message(profile, list(drift), list(results))
    if message is None:
        return []
    return notify(*message, urls=load_urls(profile) if urls is None else urls, desktop=desktop)
