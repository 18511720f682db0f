"""Issue 23, item 6: a shared capture nested 5,000 deep is shown (text and JSON), not an
"unexpected RecursionError"."""

from __future__ import annotations

import json

from click.testing import CliRunner

from optout.capture import fileformat
from optout.cli import cli

HEADER = {
    "format": 1,
    "platform": "linkedin",
    "setting": "generative-ai",
    "label": "AI",
    "url": "https://www.linkedin.com/settings",
    "captured_at": "2026-12-02T13:00:00Z",
    "flow_version": 3,
    "state": "on",
}


def deep_capture(tmp_path, depth: int = 5000):
    page = (
        "<html><body>"
        + "<div>" * depth
        + "<span>bottom</span>"
        + "</div>" * depth
        + "<p>after</p></body></html>"
    )
    path = tmp_path / "linkedin-generative-ai-20261202T130000Z.html"
    path.write_text(fileformat.Capture(HEADER, page).text(), encoding="utf-8")
    return path


def test_a_capture_nested_5000_deep_is_shown(tmp_path):
    path = deep_capture(tmp_path)
    for args in (["capture", "show", str(path)], ["--json", "capture", "show", str(path)]):
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "RecursionError" not in result.output and "Traceback" not in result.output
        assert "bottom" in result.output and "after" in result.output
    shown = fileformat.show(fileformat.read(path))
    assert f"nested deeper than {fileformat.MAX_DEPTH}" in shown
    # What comes after the deep part stays at its own place: a sibling of the outer div.
    page = json.loads(CliRunner().invoke(cli, ["--json", "capture", "show", str(path)]).stdout)[
        "page"
    ]
    body = page["children"][0]["children"][0]
    assert [c.get("tag") for c in body["children"]] == ["div", "p"]
