"""How many accounts a run works on at once: the rule for every kind of machine, what it reads from
this one (CPU affinity, container limits), and `--concurrency N` reaching the engine."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.engine import capacity
from optout.engine.options import RunOptions

GIB = 1024


@pytest.mark.parametrize(
    "cpus, free_mib, expected",
    [
        (1, 16 * GIB, 2),  # one CPU: two accounts, one rendering while the other waits
        (2, 24 * GIB, 4),  # this kind of laptop: the CPUs decide
        (4, 16 * GIB, 8),
        (64, 256 * GIB, capacity.CAP),  # a big server: never more than the cap
        (8, 2 * GIB, 2),  # many CPUs, little memory: memory decides
        (8, 1 * GIB, 1),  # barely enough memory for the browser: one at a time, never none
        (2, 0, 1),
        (0, 24 * GIB, 2),  # a machine that reports no CPUs counts as one
    ],
)
def test_pick_for_machines(cpus, free_mib, expected):
    assert capacity.pick(cpus, free_mib) == expected


def test_pick_never_zero_and_grows_with_the_machine():
    picks = {(c, m): capacity.pick(c, m) for c in range(0, 33) for m in range(0, 64 * GIB, 256)}
    assert min(picks.values()) == 1 and max(picks.values()) == capacity.CAP
    for (c, m), n in picks.items():
        assert n <= capacity.pick(c + 1, m) and n <= capacity.pick(c, m + 256)
        # What memory allows is never exceeded (beyond the one account every run gets).
        assert n == 1 or capacity.BASE_MIB + n * capacity.CONTEXT_MIB <= m * capacity.MEMORY_SHARE


@pytest.mark.parametrize("override", [1, 3, 50])
def test_override_wins(override):
    assert capacity.pick(64, 256 * GIB, override) == override
    assert capacity.pick(1, 0, override) == override
    picked = capacity.machine(override)
    assert (picked.accounts, picked.override) == (override, True)


def test_override_below_one_still_runs_one():
    assert capacity.pick(4, 16 * GIB, 0) == 1


def test_default_is_the_machines_choice():
    assert RunOptions().concurrency is None
    picked = capacity.machine()
    assert (
        picked.accounts == capacity.pick(picked.cpus, picked.available_mib) and not picked.override
    )
    assert picked.cpus >= 1 and picked.available_mib > 0


def test_container_limits_lower_what_the_machine_offers(tmp_path):
    (tmp_path / "cpu.max").write_text("100000 100000\n")  # a quota of one CPU
    (tmp_path / "memory.max").write_text(str(3 * 2**30) + "\n")  # 3 GiB, 2 of them in use
    (tmp_path / "memory.current").write_text(str(2 * 2**30) + "\n")
    assert capacity.usable_cpus(tmp_path) == 1
    assert capacity.free_mib(tmp_path) == 1024
    (tmp_path / "cpu.max").write_text("max 100000\n")
    (tmp_path / "memory.max").write_text("max\n")
    assert capacity.usable_cpus(tmp_path) == capacity.usable_cpus(tmp_path / "absent") >= 1
    assert capacity.free_mib(tmp_path) > 1024


@pytest.mark.parametrize("command", ["check", "off"])
def test_cli_concurrency_reaches_the_engine(command, monkeypatch):
    from optout import api

    given = {}

    async def fake(platforms, **opts):
        given.update(opts)
        return api.Results()

    monkeypatch.setattr(api, "check" if command == "check" else "switch_off", fake)
    runner = CliRunner()
    done = runner.invoke(cli, ["--sandbox", command, "linkedin", "--concurrency", "3", "--json"])
    assert done.exit_code == 0, done.output
    assert given["concurrency"] == 3
    done = runner.invoke(cli, ["--sandbox", command, "linkedin", "--json"])
    assert done.exit_code == 0 and given["concurrency"] is None, done.output
    refused = runner.invoke(cli, [command, "linkedin", "--concurrency", "0"])
    assert refused.exit_code == 2 and "--concurrency" in refused.output
