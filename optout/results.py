"""What a run returns: one Result per account and setting."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from optout.states import KIND_STATE, Kind, State


@dataclass
class Result:
    platform: str
    setting: str
    state: State
    changed: bool = False
    detail: str = ""
    evidence: list[Path] = field(default_factory=list)
    account: str | None = None
    label: str = ""
    flow_version: int = 0
    #: Which flow read it: shipped with optout, the person's local flow, or a signed update.
    flow_source: str = "shipped"
    #: An optional setting the person did not ask to switch off: reported, but it does not make
    #: the run's exit code say "something is on".
    optional: bool = False
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: What sort of outcome within the state, when a later decision depends on it (optout.states.Kind).
    kind: Kind | None = None

    def __post_init__(self) -> None:
        if self.kind is not None:
            self.kind = Kind(self.kind)
            if KIND_STATE[self.kind] != State(self.state):
                raise ValueError(
                    f"a {self.kind} result is {KIND_STATE[self.kind]}, not {self.state}"
                )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["state"] = str(self.state)
        data["kind"] = str(self.kind) if self.kind is not None else None
        data["evidence"] = [str(p) for p in self.evidence]
        data["at"] = self.at.isoformat(timespec="seconds")
        return data


#: Exit code of a run that leaves everything off but found a setting the platform had switched back
#: on (or a new one on) and switched it off again: nothing left to do, but worth knowing.
DRIFT_FIXED = 6


def run_exit_code(results: list[Result], drift=None) -> int:
    """The exit code of the README for a run: optional settings left on do not count as `on`; drift
    the run put right (`drift`, default: the API's `results.drift`) is 6 when nothing else is wrong."""
    from optout.states import exit_code

    code = exit_code([r.state for r in results if not (r.optional and r.state == State.ON)])
    drift = getattr(results, "drift", ()) if drift is None else drift
    if code == 0 and any(getattr(d, "fixed", False) for d in drift):
        return DRIFT_FIXED
    return code
