"""`python -m optout.bench --quick` runs end to end, so the benchmark cannot rot. Its figures are
not asserted (a benchmark, not timed tests), except what is not a matter of time: every run read
every setting, and neither `optout --help` nor `optout platforms` imports Playwright."""

from __future__ import annotations

import re
import subprocess
import sys


def test_quick_benchmark_prints_every_figure(browser_path, tmp_path):
    done = subprocess.run([sys.executable, "-m", "optout.bench", "--quick", "--browser-path", browser_path],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for figure in ("start-up: optout --help", "start-up: optout platforms", ": floor", "engine, all at once",
                   "engine, one at a time", "check N=1 account(s) at once", "check N=2 account(s) at once",
                   "time N=2 / N=1", "memory per extra account", "controls missing (label_gone): floor",
                   "real weight (7 MB, trackers, +100 ms, 20 Mbit/s): floor"):
        assert figure in out, (figure, out)
    imports = [line for line in out.splitlines() if line.strip().startswith("imports of optout")]
    assert len(imports) == 2 and all(line.endswith(" ok") for line in imports), imports
    assert "playwright" not in " ".join(imports).split("no ")[0]
    assert re.search(r"check N=2 account\(s\) at once\s+[\d.]+ s, peak RSS \d+ MB \(PSS \d+\), 1 browser", out), out
