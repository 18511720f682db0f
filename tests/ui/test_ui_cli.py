"""`optout ui` as a command: prints its one-time link (--json), listens on 127.0.0.1 only, stops
with exit 130 on Ctrl-C and with 0 when Close is pressed on the page; `optout --help` does not
import the web server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request


def start(*args: str) -> tuple[subprocess.Popen, dict]:
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "optout", "--sandbox", "ui", "--no-open", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    return proc, json.loads(line)


def opener():
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(), urllib.request.ProxyHandler({})
    )


def test_ctrl_c_stops_it_with_130_and_close_with_0():
    proc, said = start()
    try:
        assert said["url"].startswith(f"http://127.0.0.1:{said['port']}/?token=")
        browser = opener()
        page = browser.open(said["url"], timeout=10).read().decode()  # token → cookie → "/"
        assert "Where you stand" in page and "sample: built-in replicas" in page
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 130
    finally:
        proc.kill()
    proc, said = start()
    try:
        browser = opener()
        page = browser.open(said["url"], timeout=10).read().decode()
        csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
        origin = f"http://127.0.0.1:{said['port']}"
        request = urllib.request.Request(
            f"{origin}/close",
            data=b"{}",
            method="POST",
            headers={"Origin": origin, "X-CSRF-Token": csrf, "Content-Type": "application/json"},
        )
        assert json.loads(browser.open(request, timeout=10).read())["ok"] is True
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()


def test_help_does_not_import_the_web_server():
    code = (
        "import sys; from click.testing import CliRunner; from optout.cli import cli; "
        "CliRunner().invoke(cli, ['--help']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'anyio')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]", out
