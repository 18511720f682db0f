"""What a run returns: one Result per account and setting."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from optout.states import State


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
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["state"] = str(self.state)
        data["evidence"] = [str(p) for p in self.evidence]
        data["at"] = self.at.isoformat(timespec="seconds")
        return data
