"""Issue 23, item 7: a flow file (a local flow, an update: written by strangers) cannot stall optout
with a pattern that backtracks, nor with a YAML alias bomb."""

from __future__ import annotations

import time
import tracemalloc

import pytest
import yaml
from playwright.async_api import async_playwright

from optout.capture.keep import Keeper
from optout.engine.consent import ConsentGuard
from optout.errors import FlowError
from optout.flowfile import load as flowload
from optout.flowfile import patterns
from optout.paths import flows_dir

SHIPPED = flows_dir()
#: 38 s on 3,000 characters in Python's `re` (and longer in the browser's V8), passed the old check.
BACKTRACKS = r"\w{1,100}\w{1,100}\w{1,100}x"
HOSTILE_TEXT = "a" * 3000


def data(platform: str) -> dict:
    return yaml.safe_load((SHIPPED / f"{platform}.yaml").read_text(encoding="utf-8"))


def parse(flow: dict, platform: str):
    return flowload.parse_flow(yaml.safe_dump(flow), f"local/{platform}.yaml", platform)


def quick(call, limit_s: float = 1.0):
    started = time.monotonic()
    result = call()
    assert time.monotonic() - started < limit_s, "a flow's pattern stalled on a hostile page"
    return result


def test_a_backtracking_pattern_in_a_flow_runs_in_linear_time_everywhere_it_is_searched():
    flow = data("linkedin")
    flow["login"]["signed_in"]["texts"] = [BACKTRACKS]
    flow["login"]["signed_in"]["urls"] = [BACKTRACKS]
    loaded = parse(flow, "linkedin")
    signal = loaded.login.signed_in
    assert quick(lambda: signal.matches_text(HOSTILE_TEXT)) is False
    assert quick(lambda: signal.matches_url("https://www.linkedin.com/" + HOSTILE_TEXT)) is False
    assert (
        quick(lambda: list(patterns.finditer_text(BACKTRACKS, HOSTILE_TEXT))) == []
    )  # forms' score
    assert quick(lambda: Keeper.for_flow(loaded).spans(HOSTILE_TEXT)) == []  # what a capture keeps
    # and it still finds what it should, ignoring case like before
    assert signal.matches_text("... " + "a" * 5 + "X ...")


@pytest.mark.parametrize("pattern", [r"^https://chatgpt\.com/(?!auth/)", r"(a)\1", r"(?<=x)y"])
def test_lookaround_and_backreferences_are_refused_naming_the_pattern(pattern):
    flow = data("linkedin")
    flow["login"]["signed_in"]["urls"] = [pattern]
    with pytest.raises(FlowError, match="linear time") as caught:
        parse(flow, "linkedin")
    assert repr(pattern)[1:-1] in str(caught.value)


def test_a_pattern_too_large_to_compile_is_refused_quickly():
    flow = data("linkedin")
    flow["login"]["signed_in"]["texts"] = [r"((a{100}){100}){100}"]
    with pytest.raises(FlowError, match="linear time"):
        quick(lambda: parse(flow, "linkedin"))


def test_every_shipped_flow_pattern_runs_in_re2():
    flows = flowload.load_flows(SHIPPED)
    assert len(flows) >= 30  # each pattern was checked by RE2 as it loaded
    gemini = flows["gemini"].login.signed_in  # a lookahead became `unless:`: same meaning
    assert gemini.matches_url("https://gemini.google.com/app")
    assert gemini.unless.matches_url("https://accounts.google.com/signin")


def test_browser_side_patterns_are_only_those_that_cannot_backtrack_far():
    assert patterns.browser_safe("Did someone say.{0,4}cookies")
    assert patterns.browser_safe("Allow the use of cookies from Facebook on this browser")
    for hostile in (BACKTRACKS, "(a+)+$", "a.*b.*c", "(ab){1,5}", "x{0,50}y"):
        assert not patterns.browser_safe(hostile), hostile


async def test_a_consent_dialog_text_that_backtracks_is_not_run_in_the_page(browser_path):
    """Playwright runs a locator's regex in the page's V8, which backtracks too (52 s there)."""
    flow = data("x")
    flow["consent"]["dialog"] = {"texts": [BACKTRACKS]}
    guard = ConsentGuard.for_flow(parse(flow, "x"))
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=browser_path)
        try:
            page = await browser.new_page()
            await page.set_content(f"<p>{HOSTILE_TEXT}</p>")
            started = time.monotonic()
            assert await guard.shows(page) is False
            locator = guard.dialog_locator(page)
            assert locator is None or "1,100" not in repr(locator)
            assert time.monotonic() - started < 5
            await page.set_content(f"<p>{'a' * 20}x</p>")
            assert await guard.shows(page) is True
        finally:
            await browser.close()


def alias_bomb() -> str:
    """About 7 KB that expands to 10^9 strings through nested aliases."""
    lines = ["a: &a [" + ", ".join(["lolololololol"] * 10) + "]"]
    lines += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)
    ]
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_at_once_naming_the_file(tmp_path):
    flow = yaml.safe_dump(data("linkedin"))
    path = tmp_path / "linkedin.yaml"
    path.write_text(flow + "notes: *i\n" + alias_bomb(), encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(FlowError, match="anchor or alias") as caught:
            quick(lambda: flowload.load_flow(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(path) in str(caught.value)
    assert peak < 20 * 1024 * 1024


@pytest.mark.parametrize("nested", [False, True])
def test_even_one_anchor_is_refused_with_its_line(nested):
    """The fast (libyaml) and the deep-nesting (pure-Python) readers both refuse anchors."""
    text = yaml.safe_dump(data("linkedin")) + "extra: &x {a: 1}\nmore: *x\n"
    if nested:
        text += "deep: " + "[" * 70 + "]" * 70 + "\n"
    with pytest.raises(FlowError, match=r"local/linkedin.yaml: line \d+ uses a YAML anchor"):
        flowload.parse_flow(text, "local/linkedin.yaml", "linkedin")


@pytest.mark.parametrize(
    "css",
    [
        'p:text-matches("\\\\w{1,100}\\\\w{1,100}\\\\w{1,100}x")',
        "text=/(a+)+$/",
        "xpath=//p",
        "main >> text=/(a+)+$/",
        "internal:text=/a+/",
    ],
)
def test_a_selector_that_would_run_a_regex_in_the_page_is_refused(css):
    """A flow's `css` reaches Playwright's selector engines, some of which run regexes in V8."""
    flow = data("linkedin")
    flow["login"]["signed_in"] = {"present": [{"css": css}]}
    with pytest.raises(FlowError, match="not plain CSS"):
        parse(flow, "linkedin")
