"""The scale report: `python -m optout.bench --scale [--sizes 1,4,12,30] [--json]`.

For each count of accounts, a fresh process checks that many sandbox accounts with saved sessions
in one run, working on as many at once as the engine picks from the machine (optout.engine.
capacity), and this process samples the whole process tree (Python, Playwright's driver, the
browser and its children). Per count it prints the wall time of the run, the peak memory of the
tree (RSS, and PSS, which counts pages shared between processes once), the browsers seen (one:
every account is a context of the same browser), and the concurrency the engine picked with the
figures it picked from. Then the memory each extra account cost, and how busy the machine was
with other work meanwhile, since on a shared machine that stretches every time.

The accounts are synthetic accounts on the replicas of the benchmark's platforms (optout.bench_runs.
units: distinct names, round robin), each with one setting to read; no request leaves the machine.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap

from optout import bench_runs

WIDTH = 80


def machine() -> dict:
    import psutil

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": load,
    }


def scale(
    sizes: list[int],
    browser_path: str | None,
    env: dict,
    on_row=None,
    concurrency: int | None = None,
) -> dict:
    """One measured run per count of accounts, as many at once as the engine picks (or
    `concurrency`); the figures as a dict (what --json prints)."""
    rows = []
    for n in sizes:
        r = bench_runs.measure(f"at{concurrency}" if concurrency else "auto", n, browser_path, env)
        others = max(0.0, r["machine_cpu_s"] - r["cpu_s"]) / r["wall_s"]
        row = {
            "accounts": n,
            "settings": r["results"],
            "read": r["read"],
            "seconds": round(r["seconds"], 2),
            "peak_rss_mb": round(r["peak_mb"]),
            "peak_pss_mb": round(r["peak_pss_mb"]),
            "browsers": r["browsers"],
            "at_once": r["at_once"],
            "cpus": r["cpus"],
            "free_mib": r["free_mib"],
            "override": r["override"],
            "cpu_s": round(r["cpu_s"], 1),
            "other_work_cpus": round(others, 2),
            "problems": r["problems"],
        }
        rows.append(row)
        on_row and on_row(row)
    out = {"machine": machine(), "platforms": bench_runs.bench_platforms(), "sizes": rows}
    # Memory follows the accounts open at once (the engine's pick), not the accounts in the run.
    for row in rows:
        row["open_at_once"] = min(row["accounts"], row["at_once"])
    fewest = min(rows, key=lambda r: (r["open_at_once"], r["accounts"]))
    most = max(rows, key=lambda r: (r["open_at_once"], -r["accounts"]))
    if most["open_at_once"] > fewest["open_at_once"]:
        extra = most["open_at_once"] - fewest["open_at_once"]
        out["per_extra_open_account_mb"] = {
            "rss": round((most["peak_rss_mb"] - fewest["peak_rss_mb"]) / extra),
            "pss": round((most["peak_pss_mb"] - fewest["peak_pss_mb"]) / extra),
            "from_accounts": fewest["accounts"],
            "to_accounts": most["accounts"],
        }
    return out


HEADER = (
    f"{'accounts':>8} {'at once':>8} {'wall time':>10} {'peak RSS':>10} {'peak PSS':>10} "
    f"{'browsers':>8} {'other work':>11}"
)


def line(row: dict) -> str:
    return (
        f"{row['accounts']:>8} {row['at_once']:>8} {row['seconds']:>8.2f} s {row['peak_rss_mb']:>7} MB "
        f"{row['peak_pss_mb']:>7} MB {row['browsers']:>8} {row['other_work_cpus']:>6.1f} CPUs"
    )


def say(text: str) -> None:
    print(textwrap.fill(text, WIDTH), flush=True)


def main(opts) -> int:
    try:
        sizes = [int(s) for s in opts.sizes.split(",")]
        if not sizes or min(sizes) < 1:
            raise ValueError
    except ValueError:
        print(
            f"--sizes takes counts of accounts above 0, e.g. 1,4,12,30 (not {opts.sizes!r})",
            file=sys.stderr,
        )
        return 2
    if opts.concurrency is not None and opts.concurrency < 1:
        print(
            f"--concurrency takes a number of accounts above 0 (not {opts.concurrency})",
            file=sys.stderr,
        )
        return 2
    env = bench_runs.bench_env()
    if not opts.json:
        m = machine()
        say(
            f"optout scale report: {m['cpus']} CPUs, {m['memory_gib']} GiB memory, load average "
            f"{m['load_average']:.1f} at start. Accounts: synthetic sandbox accounts with saved "
            f"sessions, round robin over {', '.join(bench_runs.bench_platforms())}."
        )
        print()
        print(HEADER)
    out = scale(
        sizes,
        opts.browser_path,
        env,
        on_row=None if opts.json else lambda row: print(line(row), flush=True),
        concurrency=opts.concurrency,
    )
    problems = [p for row in out["sizes"] for p in row["problems"]] + [
        f"N={row['accounts']}: read {row['read']} of {row['settings']} settings"
        for row in out["sizes"]
        if row["read"] != row["settings"]
    ]
    if opts.json:
        print(json.dumps(out, indent=2))
    else:
        print()
        last = out["sizes"][-1]
        if "per_extra_open_account_mb" in out:
            extra = out["per_extra_open_account_mb"]
            say(
                f"Each extra account open at once: +{extra['rss']} MB RSS, +{extra['pss']} MB PSS "
                f"(N={extra['from_accounts']} to N={extra['to_accounts']}). Beyond the accounts at once, "
                "a run's accounts wait their turn and the peak stays put."
            )
        picked = (
            f"as asked (--concurrency {opts.concurrency})"
            if last["override"]
            else f"picked by the engine from {last['cpus']} usable CPUs and {last['free_mib'] / 1024:.1f} GiB "
            "free memory (`--concurrency N` overrides it)"
        )
        say(
            f"At once: {picked}. {last['settings']} settings for {last['accounts']} accounts. Wall "
            "time: from the start of the run to its last result, browser start included. Memory: the "
            "peak over the whole process tree (Python, driver, browser). Other work: CPUs that other "
            f"processes kept busy meanwhile, on average (load average now {machine()['load_average']:.1f})."
        )
    return bench_runs.said_problems(problems)
