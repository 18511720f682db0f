"""The benchmark's units of work (optout.bench reports them, optout.bench_scale scales them): the
sandbox platforms used, one measured run in a fresh process (`python -m optout.bench_runs KIND N`)
whose whole process tree is sampled, repeats of it, and the start-up of `optout`."""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright

from optout import api
from optout import browser as browser_mod
from optout.bench_tree import TreeSampler
from optout.engine.pageprobe import names_pattern
from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows
from optout.paths import Profile
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from optout.sessions import SessionStore

#: The cases run against the same pages: misbehaviour given to every replica, what each setting
#: must end as, and the target ratio to the floor.
CASES = {
    "present": ("", ("on", "off")),
    "missing": ("label_gone", ("broken",)),
    "weight": ("real_weight", ("on", "off")),
}
HEAVY = ("playwright", "rich", "asyncio", "pydantic", "structlog", "keyring", "cryptography")


def bench_platforms() -> list[str]:
    """Sandbox platforms whose every setting is a switch on a page of its own (not behind a click,
    a dialog or a Save), with a session cookie."""
    flows = load_flows(Layers.person())
    usable = []
    for name, replica in Sandbox().replicas.items():
        flow = flows.get(name)
        if flow is None or flow.guide is not None or replica.session_cookie is None:
            continue
        if all(
            s.control.kind in ("switch", "checkbox")
            and not s.open
            and s.dialog is None
            and s.save is None
            and s.items is None
            for s in flow.settings
        ):
            usable.append(name)
    return sorted(usable)


def units(n: int) -> list[tuple[str, str]]:
    """n (platform, account) pairs, round robin over the bench platforms."""
    names = bench_platforms()
    return [
        (
            names[i % len(names)],
            SANDBOX_USERNAME if i < len(names) else f"bench{i // len(names)}@example.org",
        )
        for i in range(n)
    ]


def prepare(n: int, case: str = "present"):
    """A sandbox with the accounts of `units(n)`, and each one's signed-in browser state; every
    replica misbehaves as the case says."""
    work = units(n)
    sandbox = Sandbox()
    misbehaviours = [CASES[case][0]] if CASES[case][0] else []
    for platform in {p for p, _ in work}:
        extra = sorted({a for p, a in work if p == platform} - {sandbox.data[platform]["username"]})
        sandbox.configure(platform, *misbehaviours, accounts={a: "bench-password" for a in extra})
    states = {(p, a): sandbox.replica(p).storage_state(a) for p, a in work}
    return sandbox, work, states


# --- one measured run, in a child process -------------------------------------------------------


async def run_engine(
    n: int, concurrency: int | None, browser_path: str | None, case: str = "present"
) -> dict:
    """The engine checks the accounts of `units(n)`; concurrency None lets it choose from the machine."""
    sandbox, work, states = prepare(n, case)
    store = SessionStore(Profile("sandbox-bench"), key=Fernet.generate_key())
    for (platform, account), state in states.items():
        store.save(platform, account, state)
    platforms = sorted({p for p, _ in work})
    started = time.perf_counter()
    results = await api.check(
        platforms,
        credentials={p: [] for p in platforms},
        sessions=store,
        setup_context=sandbox.install,
        browser_path=browser_path,
        profile="sandbox-bench",
        concurrency=concurrency,
        history=False,
    )
    seconds = time.perf_counter() - started
    wanted = CASES[case][1]
    read = sum(1 for r in results if str(r.state) in wanted)
    picked = results.capacity
    return {
        "seconds": seconds,
        "results": len(results),
        "read": read,
        "at_once": picked.accounts,
        "cpus": picked.cpus,
        "free_mib": picked.available_mib,
        "override": picked.override,
        "problems": [
            f"{r.platform}/{r.account}/{r.setting}: {r.state} {r.detail}"
            for r in results
            if str(r.state) not in wanted
        ],
    }


async def run_floor(n: int, browser_path: str | None, case: str = "present") -> dict:
    """The floor: the same pages with the same sessions in one browser, all at once, by hand.

    Every control present: open each page and wait for its control. Controls missing: a careful
    client waits for the load event and the network to go idle, then up to 2.5 s more for the
    control (what still reads a page that renders 2 s after loading), and calls it missing.
    Real weight: the naive careful client loads everything, waits for the load event, finds the
    control and keeps a screenshot (as optout keeps its evidence)."""

    sandbox, work, states = prepare(n, case)
    flows = load_flows(Layers.person())
    choice = browser_mod.find_browser(browser_path)
    shots = Path(tempfile.mkdtemp(prefix="optout-bench-floor-"))
    read = 0
    started = time.perf_counter()
    async with async_playwright() as playwright:
        browser = await browser_mod.launch(playwright, choice)

        async def one(platform: str, account: str) -> None:
            nonlocal read
            context = await browser.new_context(
                storage_state=states[(platform, account)], locale="en-US"
            )
            await sandbox.install(context)
            page = await context.new_page()
            for setting in flows[platform].settings:
                await page.goto(
                    setting.url,
                    wait_until="load" if case != "present" else "domcontentloaded",
                    timeout=120000,
                )  # a careful client waits for a heavy page
                names = [n for group in setting.control.names.values() for n in group]
                control = page.get_by_role(setting.control.role, name=names_pattern(names))
                if case == "missing":
                    await page.wait_for_load_state("networkidle")
                    try:
                        await control.first.wait_for(state="attached", timeout=2500)
                    except PlaywrightTimeout:
                        read += 1  # decided: missing
                    continue
                await control.first.wait_for(state="attached", timeout=15000)
                if case == "weight":
                    await page.screenshot(
                        path=str(shots / f"{platform}-{account}-{setting.id}.png")
                    )
                read += 1
            await context.close()

        await asyncio.gather(*(one(p, a) for p, a in work))
        await browser.close()
    seconds = time.perf_counter() - started
    shutil.rmtree(shots, ignore_errors=True)
    expected = sum(len(flows[p].settings) for p, _ in work)
    return {"seconds": seconds, "results": expected, "read": read, "problems": []}


def child(argv: list[str]) -> None:
    """`python -m optout.bench_runs KIND N`: one measured run; prints its figures as JSON. KIND:
    floor, concurrent (all N at once), serial (one at a time), auto (as many as the engine picks),
    atK (K at once)."""
    kind, n, browser_path = argv[0], int(argv[1]), (argv[2] or None)
    case = argv[3] if len(argv) > 3 else "present"
    if kind == "floor":
        out = asyncio.run(run_floor(n, browser_path, case))
    else:
        concurrency = (
            int(kind[2:])
            if kind.startswith("at")
            else {"concurrent": n, "serial": 1, "auto": None}[kind]
        )
        out = asyncio.run(run_engine(n, concurrency, browser_path, case))
    print(json.dumps(out))


def measure(kind: str, n: int, browser_path: str | None, env: dict, case: str = "present") -> dict:
    cmd = [sys.executable, "-m", "optout.bench_runs", kind, str(n), browser_path or "", case]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    with TreeSampler(proc.pid) as sampler:
        out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench run {kind} N={n} failed:\n{err[-3000:]}")
    data = json.loads(out.strip().splitlines()[-1])
    data.update(
        peak_mb=sampler.peak_rss / 2**20,
        peak_pss_mb=sampler.peak_pss / 2**20,
        browsers=sampler.browsers,
        cpu_s=sampler.cpu_s,
        machine_cpu_s=sampler.machine_cpu_s,
        wall_s=wall,
    )
    return data


def repeat(
    kind: str, n: int, times: int, browser_path: str | None, env: dict, case: str = "present"
) -> dict:
    runs = [measure(kind, n, browser_path, env, case) for _ in range(times)]
    problems = [p for r in runs for p in r["problems"]] + [
        f"{kind} N={n}: read {r['read']} of {r['results']} settings"
        for r in runs
        if r["read"] != r["results"]
    ]
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "peak_pss_mb": statistics.median(r["peak_pss_mb"] for r in runs),
        "browsers": max(r["browsers"] for r in runs),
        "settings": runs[0]["results"],
        "runs": len(runs),
        "problems": problems,
    }


# --- start-up ------------------------------------------------------------------------------------


def startup(args: list[str], times: int, env: dict) -> dict:
    cmd = [sys.executable, "-m", "optout", *args]

    walls, cpus = [], []
    subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True
    )  # caches
    for _ in range(times):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True
        )
        walls.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime) * 1000)
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd[1:]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        check=True,
    ).stderr
    modules = {
        line.split("|")[-1].strip()
        for line in trace.splitlines()
        if line.startswith("import time:")
    }
    imported = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    return {
        "median_ms": statistics.median(walls),
        "min_ms": min(walls),
        "runs": times,
        "imports": imported,
        "cpu_ms": statistics.median(cpus),
    }


def bench_env() -> dict:
    """The environment of every measured process: a throw-away optout home and sandbox, and no
    keyring (saved sessions only). This process takes the same homes."""
    home = Path(tempfile.mkdtemp(prefix="optout-bench-"))
    atexit.register(
        shutil.rmtree, home, ignore_errors=True
    )  # its sessions and evidence are throw-away
    env = {
        **os.environ,
        "OPTOUT_HOME": str(home / "home"),
        "OPTOUT_SANDBOX_HOME": str(home / "sandbox"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "OPTOUT_LOG_FORMAT": "json",
    }
    os.environ.update({k: env[k] for k in ("OPTOUT_HOME", "OPTOUT_SANDBOX_HOME")})
    return env


def said_problems(problems: list[str]) -> int:
    """The exit code of a benchmark run: 1, with the runs that did not read every setting on
    stderr, when any did (their figures are not valid); else 0."""
    if not problems:
        return 0
    print(
        "\nSome runs did not read every setting, so their figures are not valid:", file=sys.stderr
    )
    for p in problems[:20]:
        print(f"  {p}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    child(sys.argv[1:])
