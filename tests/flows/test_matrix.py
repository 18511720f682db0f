"""The misbehaviour matrix every replica runs through: the ways a page can lie or change under a
flow, and the fail-closed answer each must get, whatever the platform.

One engine run per misbehaviour covers every replica at once (one browser, the accounts side by
side), each result checked on its own. A replica added to the sandbox joins the matrix by itself;
what only one platform does (Gemini's menu, X's hidden memory switch, Meta's forms) stays in that
platform's own test file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from optout.sandbox.router import replica_classes

FLOWS = Path(__file__).resolve().parents[2] / "flows"


def _flow(platform: str) -> dict:
    return yaml.safe_load((FLOWS / f"{platform}.yaml").read_text(encoding="utf-8"))


def _kinds(platform: str) -> dict[str, str]:
    """Each setting's control kind (switch, choice, form…) as the shipped flow declares it."""
    return {
        s["id"]: s["control"].get("kind", "switch") for s in _flow(platform).get("settings", [])
    }


REPLICAS = sorted(c.platform for c in replica_classes())
#: Platforms whose flow never types a password: a person signs in once (`optout login`); the
#: matrix starts them from the session that leaves behind.
BY_HAND = [p for p in REPLICAS if not _flow(p).get("login", {}).get("steps")]
#: Settings a click switches (every kind but objection forms, which are sent, not switched).
SWITCHING = [p for p in REPLICAS if any(k != "form" for k in _kinds(p).values())]


def base_setting(result) -> str:
    return result.setting.split("/", 1)[0]  # per-item settings read as "setting/item"


def writes(replica) -> list[dict]:
    """Everything that reached the replica's server as a change: saves and sent forms."""
    return replica.events("save") + replica.events("submission")


@pytest.fixture
def setup(configure):
    def _setup(platforms, *misbehaviours):
        return {p: configure(p, *misbehaviours, session=p in BY_HAND) for p in platforms}

    return _setup


@pytest.fixture
def run(run_flow):
    async def _run(platforms, mode, **opts):
        results = await run_flow(platforms, mode, **opts)
        assert sorted({r.platform for r in results}) == sorted(platforms), [
            (r.platform, r.detail) for r in results
        ]
        return results

    return _run


def test_the_matrix_reaches_every_replica():
    assert len(REPLICAS) >= 20 and set(SWITCHING) <= set(REPLICAS)
    assert {"facebook", "instagram"} <= set(REPLICAS) - set(SWITCHING), (
        "form-only replicas are known"
    )


@pytest.mark.parametrize("misbehaviour", ["save_fails", "reverts"])
async def test_a_change_that_does_not_stick_is_never_off(setup, run, misbehaviour):
    replicas = setup(SWITCHING, misbehaviour)
    results = await run(SWITCHING, "off")
    switches = [r for r in results if _kinds(r.platform)[base_setting(r)] != "form"]
    assert {r.platform for r in switches} == set(SWITCHING)
    for r in (r for r in switches if r.optional):  # opt-in settings: read, never switched unasked
        assert (r.state, r.changed) == ("on", False), (r.platform, r.setting, r.detail)
    switches = [r for r in switches if not r.optional]
    for r in switches:
        assert (r.state, r.changed) == ("on", False), (r.platform, r.setting, r.detail)
        assert "did not stick" in r.detail, (r.platform, r.detail)
    for p, replica in replicas.items():
        saved = replica.events("save")
        wanted = sum(1 for r in switches if r.platform == p)
        assert len(saved) == wanted, (p, "one attempt per setting", saved)


@pytest.mark.parametrize("misbehaviour", ["label_gone", "language"])
async def test_a_changed_page_is_broken_and_nothing_is_written(setup, run, misbehaviour):
    replicas = setup(REPLICAS, misbehaviour)
    results = await run(REPLICAS, "off", find_timeout_s=2)
    for r in results:
        # A setting the change did not reach (X's other switches) is read and left alone.
        assert r.state in ("broken", "on") and not r.changed, (
            r.platform,
            r.setting,
            r.state,
            r.detail,
        )
    for p in REPLICAS:
        broken = [r for r in results if r.platform == p and r.state == "broken"]
        assert broken, (p, "a changed page must read as broken")
        for r in broken:
            assert sorted(e.suffix for e in r.evidence) == [".html", ".png"], r.platform
            if misbehaviour == "language":
                assert re.search(r"'[a-z]{2}(-[A-Za-z]{2})?'", r.detail), (r.platform, r.detail)
    for p, replica in replicas.items():
        assert writes(replica) == [], p


async def test_a_setting_already_off_is_never_clicked(setup, run):
    replicas = setup(SWITCHING, "already_off")
    results = await run(SWITCHING, "off")
    for r in results:
        if _kinds(r.platform)[base_setting(r)] != "form":
            assert (r.state, r.changed) == ("off", False), (r.platform, r.setting, r.detail)
    for p, replica in replicas.items():
        assert replica.events("save") == [], p
