"""Where a person stands, from history alone: no browser, no network, nothing imported from the
engine. Every account and setting with its last state, when it was read, what drifted since the
reading before, and the one command to run next.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from optout.credentials import AccountStore
from optout.errors import OptoutError
from optout.history import History
from optout.holds import Holds
from optout.paths import Profile
from optout.states import State

#: A reading older than this is worth refreshing with a check.
STALE = timedelta(days=7)

#: Most urgent first: the state that decides the one next command.
_URGENCY = [State.ON, State.NEEDS_LOGIN, State.NEEDS_HUMAN, State.BROKEN, State.ERROR]


@dataclass
class Standing:
    """One setting of one account, as history last saw it."""

    platform: str
    account: str | None
    setting: str
    label: str
    state: str
    at: str | None  # ISO time of the last reading; None when never read
    age: str  # "3 days ago", "never"
    drift: list[str] = field(default_factory=list)
    next: str | None = None
    note: str | None = None  # e.g. how to switch off an optional setting left on

    def to_dict(self) -> dict:
        return asdict(self)


def age_words(iso: str | None, now: datetime) -> str:
    """How long ago `iso` was, in the largest whole unit people use."""
    if not iso:
        return "never"
    seconds = max(0, int((now - datetime.fromisoformat(iso)).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def next_command(platform: str, state: str, at: str | None, now: datetime) -> str | None:
    """The one command that moves this setting forward; None when nothing needs doing."""
    state = State(state) if state in State._value2member_map_ else None
    if state is State.ON:
        return f"optout off {platform}"
    if state in (State.NEEDS_LOGIN, State.NEEDS_HUMAN):
        return f"optout login {platform}"
    if state is State.BROKEN:
        return f"optout check {platform} -v"
    if state is None or state is State.ERROR or not at or now - datetime.fromisoformat(at) > STALE:
        return f"optout check {platform}"
    return None


def optional_settings() -> set[tuple[str, str]]:
    """(platform, setting) of every optional setting: left on, they are not something to fix."""
    from optout.flowfile.layers import (  # pydantic only when flows are read
        Layers,
        load_flows,
    )

    try:
        return {
            (p, s.id)
            for p, flow in load_flows(Layers.person()).items()
            for s in flow.settings
            if s.opt_in
        }
    except (
        OptoutError,
        OSError,
        ValueError,
    ):  # a flow that does not load must not hide where a person stands
        return set()


def standing(profile: Profile, now: datetime | None = None) -> list[Standing]:
    """Every setting history knows of, then every stored account never read, for `profile`."""

    now = now or datetime.now(UTC)
    rows, timeline, drift, finished = [], [], [], set()
    if profile.history_db.exists():
        with History(profile, read_only=True) as history:
            rows, timeline, drift = history.latest(), history.timeline(), history.drift_log()
            finished = history.finished_runs()
    rows = current(rows, timeline, finished)
    optional = optional_settings()
    earlier: dict[tuple, list[dict]] = {}
    for r in timeline:
        earlier.setdefault((r["platform"], r["account"], r["setting"]), []).append(r)
    out = []
    for r in rows:
        key = (r["platform"], r["account"], r["setting"])
        readings = earlier.get(key, [r])
        before = readings[-2] if len(readings) > 1 else None
        changes = [
            d["detail"]
            for d in drift
            if d["run_id"] == r["run_id"]
            and d["platform"] == r["platform"]
            and d["account"] == r["account"]
            and d["setting"] in (None, r["setting"])
        ]
        if r["changed"]:
            changes.append(f"switched {r['state']} by optout {age_words(r['at'], now)}")
        elif before and before["state"] != r["state"] and not changes:
            changes.append(f"{before['state']} at the reading before ({before['at'][:10]})")
        step = next_command(r["platform"], r["state"], r["at"], now)
        if (r["platform"], r["setting"]) in optional and r["state"] == State.ON:
            # An optional setting left on is the person's choice: the way to switch it off, not a nag.
            note = f"optional; to switch it off too: optout off {r['platform']} --setting {r['setting']}"
            step = None
        else:
            note = None
        out.append(
            Standing(
                r["platform"],
                r["account"],
                r["setting"],
                r["label"] or r["setting"],
                r["state"],
                r["at"],
                age_words(r["at"], now),
                changes,
                step,
                note,
            )
        )
    seen = {s.platform for s in out}
    for info in AccountStore(profile).list():
        if info.platform not in seen:
            seen.add(info.platform)
            out.append(
                Standing(
                    info.platform,
                    info.username,
                    "",
                    "",
                    "unread",
                    None,
                    "never",
                    next=f"optout check {info.platform}",
                )
            )
    return held(profile, out)


def held(profile: Profile, out: list[Standing]) -> list[Standing]:
    """Accounts whose password optout holds back (optout.holds) say so, with `optout login`."""

    for hold in Holds(profile).all():
        platform, account = hold.get("platform", ""), hold.get("account", "")
        why = str(hold.get("why", "")).replace("asks ", "asked ", 1)
        note = (
            f"password held back since {hold.get('since', '')[:10]}: {platform} {why}; "
            f"sign in yourself: optout login {platform}"
        )
        rows = [
            s
            for s in out
            if s.platform == platform and (s.account or "").casefold() == account.casefold()
        ]
        if not rows:
            rows = [
                Standing(
                    platform, account, "", "", str(hold.get("state", "needs_login")), None, "never"
                )
            ]
            out.append(rows[0])
        for s in rows:
            s.note, s.next = note, f"optout login {platform}"
    return out


def current(rows: list[dict], timeline: list[dict], finished: set[int]) -> list[dict]:
    """The latest rows of the accounts each platform has now: those the latest finished run that
    read the platform read (and any later run). An account's older rows, such as the `needs_login`
    of runs before it was added (account none) or of an account since removed, are history, not
    where the person stands; a run cut short proves nothing about the accounts it did not reach."""
    last: dict[str, int] = {}  # platform -> its latest finished run
    for r in timeline:
        if r["run_id"] in finished:
            last[r["platform"]] = max(last.get(r["platform"], 0), r["run_id"])
    read = {
        (r["platform"], r["account"]) for r in timeline if r["run_id"] == last.get(r["platform"])
    }
    return [
        r
        for r in rows
        if r["run_id"] >= last.get(r["platform"], 0) or (r["platform"], r["account"]) in read
    ]


def next_step(found: list[Standing]) -> str | None:
    """The one command to run next: for the most urgent state, else the first stale reading."""
    for state in _URGENCY:
        for s in found:
            if s.state == state and s.next:
                return s.next
    return next((s.next for s in found if s.next), None)
