"""Exit codes of DESIGN.md, and optional settings that the person left alone."""

from optout.results import Result, run_exit_code
from optout.states import State, exit_code


def r(state, optional=False):
    return Result(platform="x", setting="s", state=State(state), optional=optional)


def test_exit_code_priority():
    assert exit_code([]) == 0
    assert exit_code(["off", "unavailable", "submitted"]) == 0
    assert exit_code(["off", "error", "broken", "needs_human", "on"]) == 3
    assert exit_code(["error", "broken", "needs_login"]) == 4
    assert exit_code(["error", "broken"]) == 5
    assert exit_code(["error", "off"]) == 1


def test_optional_setting_left_on_does_not_fail_the_run():
    assert run_exit_code([r("off"), r("on", optional=True)]) == 0
    assert run_exit_code([r("off"), r("on", optional=False)]) == 3
    assert run_exit_code([r("broken", optional=True)]) == 5  # a broken page is always news
