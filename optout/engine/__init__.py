"""Runs flows; knows no platform.

options.py  Account, RunOptions (with the one `targets()`), RunState, Outcome
run.py      run(): one browser, contexts, concurrency; run_in_context() for assisted sessions
connected.py  the same in the person's own browser (`--connect`): their context, one at a time
capacity.py how many accounts at once, from the machine's CPUs and free memory
account.py  AccountRun: the read → act → reload → verify loop
triage.py   what a page shows (signed out, a challenge, the control, an items list…), one typed answer
login.py    the run's one sign-in per account, holds, keeping the session
signinsteps.py  typing the flow's sign-in steps and reading how the sign-in ended
attended.py the person's window in an attended run; personlogin.py `optout login`
forms.py    filling and sending objection forms, confirmation
evidence.py screenshots, kept pages, the Result that cites them
tab.py      settling, crash watch, opening a URL with retries
controls.py, pageprobe.py   each kind of control; looking at a page without acting on it
"""

from optout.engine.options import Account, Outcome, RunOptions, RunState
from optout.engine.run import guide_results, no_account_results, run, run_in_context
from optout.engine.tab import describe_browser_error

__all__ = [
    "Account",
    "Outcome",
    "RunOptions",
    "RunState",
    "describe_browser_error",
    "guide_results",
    "no_account_results",
    "run",
    "run_in_context",
]
