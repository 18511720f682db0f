"""`python -m optout.bench --quick` and `--scale` for small counts run end to end, so the benchmark
cannot rot. Its figures are not asserted (a benchmark, not timed tests), except what is not a matter
of time: every run read every setting, neither `optout --help` nor `optout platforms` imports
Playwright, every account ran in one browser, and the scale report's figures are real."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from optout.engine import capacity


def test_quick_benchmark_prints_every_figure(browser_path, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "optout.bench", "--quick", "--browser-path", browser_path],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for figure in (
        "start-up: optout --help",
        "start-up: optout platforms",
        ": floor",
        "engine, all at once",
        "engine, one at a time",
        "check N=1 account(s) at once",
        "check N=2 account(s) at once",
        "time N=2 / N=1",
        "memory per extra account",
        "controls missing (label_gone): floor",
        "real weight (7 MB, trackers, +100 ms, 20 Mbit/s): floor",
    ):
        assert figure in out, (figure, out)
    lines = out.splitlines()
    assert not [line for line in lines if len(line) > 80]
    imports = [
        (line, lines[i + 1])
        for i, line in enumerate(lines)
        if line.strip().startswith("imports of optout")
    ]
    assert len(imports) == 2 and all(line.endswith(" ok") for line, _ in imports), imports
    assert all("playwright" not in figure.split("; target")[0] for _, figure in imports), imports
    assert re.search(
        r"check N=2 account\(s\) at once\s+[\d.]+ s, peak RSS \d+ MB \(PSS \d+\), 1 browser", out
    ), out


def test_scale_report_for_small_counts(browser_path, tmp_path):
    """`--scale` for 1 and 2 accounts: real figures from real runs, one browser, every setting read,
    and the concurrency the engine picked is the capacity rule's for the machine figures it saw."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "optout.bench",
            "--scale",
            "--sizes",
            "1,2",
            "--json",
            "--browser-path",
            browser_path,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert [row["accounts"] for row in report["sizes"]] == [1, 2]
    for row in report["sizes"]:
        assert row["seconds"] > 0 and row["peak_rss_mb"] > 0 and row["peak_pss_mb"] > 0, row
        assert row["browsers"] == 1 and row["read"] == row["settings"] >= row["accounts"], row
        assert not row["override"] and row["cpus"] >= 1 and row["free_mib"] > 0, row
        assert row["at_once"] == capacity.pick(row["cpus"], row["free_mib"]), row
        assert row["cpu_s"] > 0 and row["other_work_cpus"] >= 0, row
    assert report["machine"]["cpus"] >= 1 and report["platforms"]
    if report["sizes"][-1]["open_at_once"] == 2:  # the second account ran alongside the first
        assert report["per_extra_open_account_mb"]["rss"] > 0, report


def test_scale_report_text_fits_80_columns_and_takes_an_override(browser_path, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "optout.bench",
            "--scale",
            "--sizes",
            "1",
            "--concurrency",
            "3",
            "--browser-path",
            browser_path,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    [row] = [line.split() for line in lines if line.split()[:1] == ["1"]]
    assert row[1] == "3" and float(row[2]) > 0 and row[8] == "1", row  # at once 3, one browser
    assert "as asked (--concurrency 3)" in " ".join(lines)
