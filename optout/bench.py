"""The benchmark: `python -m optout.bench` (add --quick for a short smoke run).

Runs against the sandbox only (no request leaves the machine) and prints, in one run:

1. start-up of `optout --help` and `optout platforms` (wall time of a fresh process, several
   runs), and which heavy modules each imports (Playwright must not be among them);
2. checking N platforms with saved sessions: the engine with all N at once, the engine one at a
   time, and the floor: a minimal hand-written Playwright script that opens the same pages, with
   the same sessions, concurrently in one browser, and waits for the same controls;
3. time and peak memory (RSS summed over the whole process tree, browser included) for N = 1, 4
   and 12 accounts checked at once.

`--scale` prints only the scale report instead (optout/bench_scale.py): 1, 4, 12 and 30 accounts
with as many at once as the engine picks from the machine.

N counts accounts, one browser context each. The sandbox platforms used are those whose flow is
switches on pages of their own (so the floor can open exactly the same pages); when N is larger
than their number, the extra accounts are further accounts on the same replicas, round robin.
Every measured run happens in a fresh Python process whose whole process tree is sampled.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

WIDTH = 80  # every line the benchmark prints fits an 80-column terminal
HELP_TARGET_MS = 150
PLATFORMS_TARGET_MS = 250
FLOOR_TARGET = 1.3
MISSING_TARGET = 1.5
WEIGHT_TARGET = 1.0
#: The cases run against the same pages: misbehaviour given to every replica, what each setting
#: must end as, and the target ratio to the floor.
CASES = {"present": ("", ("on", "off")), "missing": ("label_gone", ("broken",)),
         "weight": ("real_weight", ("on", "off"))}
#: How much more N accounts may cost than one, against the floor's own growth on the same machine:
#: on a 2-CPU machine twelve renderers share two CPUs, so no client stays near 1×; the engine must
#: grow no faster than a minimal client does (the same margin as the present case).
SCALE_TARGET = 1.3
HEAVY = ("playwright", "rich", "asyncio", "pydantic", "structlog", "keyring", "cryptography")


# --- the units of work -------------------------------------------------------------------------


def bench_platforms() -> list[str]:
    """Sandbox platforms whose every setting is a switch on a page of its own (not behind a click,
    a dialog or a Save), with a session cookie."""
    from optout import flowspec
    from optout.sandbox import Sandbox

    flows = flowspec.load_flows()
    usable = []
    for name, replica in Sandbox().replicas.items():
        flow = flows.get(name)
        if flow is None or flow.guide is not None or replica.session_cookie is None:
            continue
        if all(s.control.kind in ("switch", "checkbox") and not s.open and s.dialog is None
               and s.save is None and s.items is None for s in flow.settings):
            usable.append(name)
    return sorted(usable)


def units(n: int) -> list[tuple[str, str]]:
    """n (platform, account) pairs, round robin over the bench platforms."""
    from optout.sandbox import SANDBOX_USERNAME

    names = bench_platforms()
    return [(names[i % len(names)], SANDBOX_USERNAME if i < len(names) else f"bench{i // len(names)}@example.org")
            for i in range(n)]


def prepare(n: int, case: str = "present"):
    """A sandbox with the accounts of `units(n)`, and each one's signed-in browser state; every
    replica misbehaves as the case says."""
    from optout.sandbox import Sandbox

    work = units(n)
    sandbox = Sandbox()
    misbehaviours = [CASES[case][0]] if CASES[case][0] else []
    for platform in {p for p, _ in work}:
        extra = sorted({a for p, a in work if p == platform} - {sandbox.data[platform]["username"]})
        sandbox.configure(platform, *misbehaviours, accounts={a: "bench-password" for a in extra})
    states = {(p, a): sandbox.replica(p).storage_state(a) for p, a in work}
    return sandbox, work, states


# --- one measured run, in a child process -------------------------------------------------------


async def run_engine(n: int, concurrency: int | None, browser_path: str | None, case: str = "present") -> dict:
    """The engine checks the accounts of `units(n)`; concurrency None lets it choose from the machine."""
    from cryptography.fernet import Fernet

    from optout import api
    from optout.paths import Profile
    from optout.sessions import SessionStore

    sandbox, work, states = prepare(n, case)
    store = SessionStore(Profile("sandbox-bench"), key=Fernet.generate_key())
    for (platform, account), state in states.items():
        store.save(platform, account, state)
    platforms = sorted({p for p, _ in work})
    started = time.perf_counter()
    results = await api.check(platforms, credentials={p: [] for p in platforms}, sessions=store,
                              setup_context=sandbox.install, browser_path=browser_path, profile="sandbox-bench",
                              concurrency=concurrency, history=False)
    seconds = time.perf_counter() - started
    wanted = CASES[case][1]
    read = sum(1 for r in results if str(r.state) in wanted)
    picked = results.capacity
    return {"seconds": seconds, "results": len(results), "read": read, "at_once": picked.accounts,
            "cpus": picked.cpus, "free_mib": picked.available_mib, "override": picked.override,
            "problems": [f"{r.platform}/{r.account}/{r.setting}: {r.state} {r.detail}"
                         for r in results if str(r.state) not in wanted]}


async def run_floor(n: int, browser_path: str | None, case: str = "present") -> dict:
    """The floor: the same pages with the same sessions in one browser, all at once, by hand.

    Every control present: open each page and wait for its control. Controls missing: a careful
    client waits for the load event and the network to go idle, then up to 2.5 s more for the
    control (what still reads a page that renders 2 s after loading), and calls it missing.
    Real weight: the naive careful client loads everything, waits for the load event, finds the
    control and keeps a screenshot (as optout keeps its evidence)."""
    import asyncio

    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from playwright.async_api import async_playwright

    from optout import browser as browser_mod
    from optout import flowspec
    from optout.engine.pageprobe import names_pattern

    sandbox, work, states = prepare(n, case)
    flows = flowspec.load_flows()
    choice = browser_mod.find_browser(browser_path)
    shots = Path(tempfile.mkdtemp(prefix="optout-bench-floor-"))
    read = 0
    started = time.perf_counter()
    async with async_playwright() as playwright:
        browser = await browser_mod.launch(playwright, choice)

        async def one(platform: str, account: str) -> None:
            nonlocal read
            context = await browser.new_context(storage_state=states[(platform, account)], locale="en-US")
            await sandbox.install(context)
            page = await context.new_page()
            for setting in flows[platform].settings:
                await page.goto(setting.url, wait_until="load" if case != "present" else "domcontentloaded",
                                timeout=120000)  # a careful client waits for a heavy page
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
                    await page.screenshot(path=str(shots / f"{platform}-{account}-{setting.id}.png"))
                read += 1
            await context.close()

        await asyncio.gather(*(one(p, a) for p, a in work))
        await browser.close()
    seconds = time.perf_counter() - started
    shutil.rmtree(shots, ignore_errors=True)
    expected = sum(len(flows[p].settings) for p, _ in work)
    return {"seconds": seconds, "results": expected, "read": read, "problems": []}


def child(argv: list[str]) -> None:
    """`python -m optout.bench --child KIND N`: one measured run; prints its figures as JSON. KIND:
    floor, concurrent (all N at once), serial (one at a time), auto (as many as the engine picks),
    atK (K at once)."""
    import asyncio

    kind, n, browser_path = argv[0], int(argv[1]), (argv[2] or None)
    case = argv[3] if len(argv) > 3 else "present"
    if kind == "floor":
        out = asyncio.run(run_floor(n, browser_path, case))
    else:
        concurrency = int(kind[2:]) if kind.startswith("at") else {"concurrent": n, "serial": 1, "auto": None}[kind]
        out = asyncio.run(run_engine(n, concurrency, browser_path, case))
    print(json.dumps(out))


def measure(kind: str, n: int, browser_path: str | None, env: dict, case: str = "present") -> dict:
    cmd = [sys.executable, "-m", "optout.bench", "--child", kind, str(n), browser_path or "", case]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    from optout.bench_tree import TreeSampler

    with TreeSampler(proc.pid) as sampler:
        out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench run {kind} N={n} failed:\n{err[-3000:]}")
    data = json.loads(out.strip().splitlines()[-1])
    data.update(peak_mb=sampler.peak_rss / 2**20, peak_pss_mb=sampler.peak_pss / 2**20, browsers=sampler.browsers,
                cpu_s=sampler.cpu_s, machine_cpu_s=sampler.machine_cpu_s, wall_s=wall)
    return data


def repeat(kind: str, n: int, times: int, browser_path: str | None, env: dict, case: str = "present") -> dict:
    runs = [measure(kind, n, browser_path, env, case) for _ in range(times)]
    problems = [p for r in runs for p in r["problems"]] + [
        f"{kind} N={n}: read {r['read']} of {r['results']} settings" for r in runs if r["read"] != r["results"]]
    return {"seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": statistics.median(r["peak_mb"] for r in runs),
            "peak_pss_mb": statistics.median(r["peak_pss_mb"] for r in runs),
            "browsers": max(r["browsers"] for r in runs), "settings": runs[0]["results"],
            "runs": len(runs), "problems": problems}


# --- start-up ------------------------------------------------------------------------------------


def startup(args: list[str], times: int, env: dict) -> dict:
    cmd = [sys.executable, "-m", "optout", *args]
    import resource

    walls, cpus = [], []
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)  # caches
    for _ in range(times):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
        walls.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime) * 1000)
    trace = subprocess.run([sys.executable, "-X", "importtime", *cmd[1:]], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, env=env, check=True).stderr
    modules = {line.split("|")[-1].strip() for line in trace.splitlines() if line.startswith("import time:")}
    imported = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    return {"median_ms": statistics.median(walls), "min_ms": min(walls), "runs": times, "imports": imported,
            "cpu_ms": statistics.median(cpus)}


# --- the report ----------------------------------------------------------------------------------


def bench_env() -> dict:
    """The environment of every measured process: a throw-away optout home and sandbox, and no
    keyring (saved sessions only). This process takes the same homes."""
    home = Path(tempfile.mkdtemp(prefix="optout-bench-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)  # its sessions and evidence are throw-away
    env = {**os.environ, "OPTOUT_HOME": str(home / "home"), "OPTOUT_SANDBOX_HOME": str(home / "sandbox"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "OPTOUT_LOG_FORMAT": "json"}
    os.environ.update({k: env[k] for k in ("OPTOUT_HOME", "OPTOUT_SANDBOX_HOME")})
    return env


def said_problems(problems: list[str]) -> int:
    """The exit code of a benchmark run: 1, with the runs that did not read every setting on
    stderr, when any did (their figures are not valid); else 0."""
    if not problems:
        return 0
    print("\nSome runs did not read every setting, so their figures are not valid:", file=sys.stderr)
    for p in problems[:20]:
        print(f"  {p}", file=sys.stderr)
    return 1


def say(text: str) -> None:
    print(textwrap.fill(text, WIDTH), flush=True)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m optout.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run each, N = 1 and 2 (a smoke test)")
    parser.add_argument("--scale", action="store_true",
                        help="only the scale report: 1, 4, 12 and 30 accounts, as many at once as the "
                             "engine picks (see optout.bench_scale; --sizes, --json)")
    parser.add_argument("--sizes", default="1,4,12,30", help="with --scale: the account counts")
    parser.add_argument("--json", action="store_true", help="with --scale: the figures as JSON")
    parser.add_argument("--concurrency", type=int, metavar="N",
                        help="with --scale: N accounts at once instead of the engine's pick")
    parser.add_argument("--browser-path", default=os.environ.get("OPTOUT_BROWSER"), help="Chromium to use")
    opts = parser.parse_args(argv)
    if opts.scale:
        from optout import bench_scale

        return bench_scale.main(opts)

    env = bench_env()
    reps = 1 if opts.quick else 3
    sizes = (1, 2) if opts.quick else (1, 4, 12)
    platforms = bench_platforms()
    n_platforms = 2 if opts.quick else len(platforms)
    problems: list[str] = []

    def row(what: str, figure: str, target: str, ok: bool | None) -> None:
        """Two lines that fit 80 columns: what, with the verdict at the right; then the figure
        and its target, indented."""
        head = f"{what:<{WIDTH - 8}} {'' if ok is None else verdict(ok):>7}".rstrip()
        body = textwrap.fill(figure + (f"; target {target}" if target else ""), WIDTH,
                             initial_indent=" " * 6, subsequent_indent=" " * 8)
        print(head + "\n" + body, flush=True)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    say(f"optout benchmark{' (quick)' if opts.quick else ''}: {os.cpu_count()} CPUs, load average "
        f"{load:.1f} at start, Python {sys.version.split()[0]}; sandbox platforms used: {', '.join(platforms)}")
    print(f"\n{'what':<{WIDTH - 8}} {'verdict':>7}\n{'':6}figure; target")

    # 1. start-up
    for args in (["--help"], ["platforms"]):
        s = startup(args, 3 if opts.quick else 10, env)
        is_help = args == ["--help"]
        target = HELP_TARGET_MS if is_help else PLATFORMS_TARGET_MS
        row(f"start-up: optout {' '.join(args)}", f"median {s['median_ms']:.0f} ms (min {s['min_ms']:.0f}, {s['runs']} runs)",
            f"< {target} ms", s["median_ms"] < target)
        row("  CPU time (user + system, median)", f"{s['cpu_ms']:.0f} ms (what load does not stretch)", "", None)
        forbidden = set(HEAVY) - {"pydantic"} if is_help else {"playwright"}
        bad = sorted(set(s["imports"]) & forbidden)
        row(f"  imports of optout {' '.join(args)}", ", ".join(s["imports"]) or "none of the heavy ones",
            "no " + "/".join(sorted(forbidden)), not bad)
        problems += [f"optout {' '.join(args)} imports {m}" for m in bad]

    # 2. N platforms with saved sessions: engine at once, engine one by one, the floor
    concurrent = repeat("concurrent", n_platforms, reps, opts.browser_path, env)
    serial = repeat("serial", n_platforms, reps, opts.browser_path, env)
    floor = repeat("floor", n_platforms, reps, opts.browser_path, env)
    problems += concurrent["problems"] + serial["problems"] + floor["problems"]
    ratio = concurrent["seconds"] / floor["seconds"]
    what = f"check {n_platforms} platforms ({concurrent['settings']} settings), saved sessions"
    row(what + ": floor", f"{floor['seconds']:.2f} s (median of {floor['runs']})", "", None)
    row("  engine, all at once", f"{concurrent['seconds']:.2f} s = {ratio:.2f}× the floor",
        f"≤ {FLOOR_TARGET}× the floor", ratio <= FLOOR_TARGET)
    row("  engine, one at a time", f"{serial['seconds']:.2f} s = {serial['seconds'] / floor['seconds']:.2f}× the floor",
        "", None)

    # 2b. the same pages with every control missing, and the same pages at a real page's weight
    for case, title, target, compare in (
            ("missing", "controls missing (label_gone)", MISSING_TARGET, "≤"),
            ("weight", "real weight (7 MB, trackers, +100 ms, 20 Mbit/s)", WEIGHT_TARGET, "<")):
        engine = repeat("concurrent", n_platforms, reps, opts.browser_path, env, case)
        base = repeat("floor", n_platforms, reps, opts.browser_path, env, case)
        problems += engine["problems"] + base["problems"]
        ratio = engine["seconds"] / base["seconds"]
        row(f"check {n_platforms} platforms, {title}: floor", f"{base['seconds']:.2f} s (median of {base['runs']})",
            "", None)
        row("  engine, all at once", f"{engine['seconds']:.2f} s = {ratio:.2f}× the floor",
            f"{compare} {target}× the floor", ratio <= target if compare == "≤" else ratio < target)

    # 3. N = 1, 4, 12 accounts at once: time and peak memory of the whole process tree
    scale = {n: repeat("concurrent", n, reps, opts.browser_path, env) for n in sizes}
    for n, r in scale.items():
        problems += r["problems"]
        row(f"check N={n} account(s) at once", f"{r['seconds']:.2f} s, peak RSS {r['peak_mb']:.0f} MB "
            f"(PSS {r['peak_pss_mb']:.0f}), {r['browsers']} browser", "", None)
    first, last = scale[sizes[0]], scale[sizes[-1]]
    growth = last["seconds"] / first["seconds"]
    # The same growth for the floor: how much of it is the machine (CPUs shared by N renderers).
    floors = {n: repeat("floor", n, reps, opts.browser_path, env) for n in (sizes[0], sizes[-1])}
    problems += [p for r in floors.values() for p in r["problems"]]
    floor_growth = floors[sizes[-1]]["seconds"] / floors[sizes[0]]["seconds"]
    row(f"  time N={sizes[-1]} / N={sizes[0]}", f"{growth:.2f}× (the floor: {floor_growth:.2f}×, "
        f"{floors[sizes[0]]['seconds']:.2f} → {floors[sizes[-1]]['seconds']:.2f} s)",
        f"≤ {SCALE_TARGET}× the floor's", growth <= SCALE_TARGET * floor_growth)
    per_account = (last["peak_mb"] - first["peak_mb"]) / (sizes[-1] - sizes[0])
    per_account_pss = (last["peak_pss_mb"] - first["peak_pss_mb"]) / (sizes[-1] - sizes[0])
    one_browser = all(r["browsers"] == 1 for r in scale.values())
    row("  memory per extra account (RSS / PSS)",
        f"{per_account:+.0f} / {per_account_pss:+.0f} MB (N={sizes[0]}: {first['peak_mb']:.0f} / "
        f"{first['peak_pss_mb']:.0f})", "1 browser; +PSS < N=1's", one_browser and per_account_pss < first["peak_pss_mb"])

    print()
    say("N counts accounts, one browser context each, spread round robin over the platforms above. "
        "Times are wall clock from the start of the run to its last result, in a fresh process "
        "(browser start included); memory is the peak of RSS (and of PSS) summed over that process tree.")
    return said_problems(problems)


if __name__ == "__main__":
    sys.exit(main())
