"""Signing in: optout's one automated attempt per account and run (the steps themselves are
signinsteps.py), with a person at the machine when the run is attended (attended.py), holding a
password back after a failure only a person can answer, and keeping the session."""

from __future__ import annotations

from playwright.async_api import Page

from optout import logs
from optout.credentials import Credential
from optout.engine.attended import Attended
from optout.engine.evidence import Evidence
from optout.engine.options import Account, Outcome, RunOptions, RunState
from optout.engine.signinsteps import Steps, challenge_detail, held_detail
from optout.engine.tab import Tabs
from optout.flowfile.schema import Flow, Setting
from optout.sessions import identity_of
from optout.states import State

__all__ = ["SignIn", "challenge_detail"]


class SignIn:
    """The one automated sign-in an account gets in a run, and keeping its session."""

    def __init__(
        self,
        flow: Flow,
        account: Account,
        options: RunOptions,
        tabs: Tabs,
        evidence: Evidence,
        log,
        state: RunState | None = None,
    ):
        self.flow, self.account, self.options, self.tabs, self.evidence = (
            flow,
            account,
            options,
            tabs,
            evidence,
        )
        self.state = state if state is not None else RunState()
        self.log = log
        self.attempted = False
        self.cleared = False  # an attended run showed the person a check before the site's pages
        self.signed_in_here = False
        self.attended = Attended(self)

    async def login(self, page: Page, setting: Setting) -> None:
        """The account's one sign-in in this run. Attended: in a visible window, where the person
        answers what only they can (a challenge, a refused password) and the run goes on.
        Otherwise one automated attempt; raises Outcome on failure, and a failure only a person
        can answer holds the password back from later runs (optout.holds)."""
        name, cred, pid = self.flow.name, self.account.credential, self.flow.id
        if self.options.connect is not None:  # the person's own browser: nothing is typed there
            raise Outcome(
                State.NEEDS_LOGIN,
                f"{name} shows its sign-in page in your browser: sign in to "
                f"{name} in your browser, then run again.",
            )
        if self.attempted:
            raise Outcome(
                State.NEEDS_LOGIN,
                f"{name} signed this account out again after a sign-in in this run.",
            )
        holds = self.options.holds
        hold = holds.get(pid, self.account.name) if holds is not None else None
        if self.options.attended:
            self.attempted = True
            typing = bool(self.flow.login.steps) and cred is not None and hold is None
            by_person = await self.attended.sign_in(
                page, setting, cred if typing and self.first_attempt() else None, hold
            )
            self.signed_in_here = True
            if holds is not None:
                holds.clear(pid, self.account.name)
            self.log.info("login.ok", by="person" if by_person else "optout")
            await self.save_session()
            return
        if not self.flow.login.steps:  # no password sign-in declared (e-mail link, single sign-on)
            raise Outcome(
                State.NEEDS_LOGIN,
                f"{name} asks to sign in ({self.why_signed_out()}), and optout does not sign "
                f"in to {name} by itself. Sign in yourself with `optout login {pid}`; optout "
                "keeps that session for later runs.",
            )
        if cred is None:
            if self.account.session is not None:
                raise Outcome(
                    State.NEEDS_LOGIN,
                    f"{name} ended the saved session (it shows its sign-in page) "
                    f"and no password is stored. Sign in yourself with `optout login {pid}`.",
                )
            raise Outcome(
                State.NEEDS_LOGIN,
                f"no saved {name} session and no stored password. Run `optout account add "
                f"{pid}` or sign in yourself with `optout login {pid}`.",
            )
        if hold is not None:
            raise Outcome(State(hold.get("state", "needs_login")), held_detail(self.flow, hold))
        self.attempted = True
        if not self.first_attempt():
            raise Outcome(
                State.NEEDS_LOGIN,
                f"optout already tried to sign in to this {name} account in this run "
                f"(one attempt per account, so it is never locked out). Run `optout check {pid}` "
                f"again later, or sign in yourself with `optout login {pid}`.",
            )
        await self.tabs.open(page, self.flow.login.url)
        try:
            await self.attempt(page, setting, cred)
        except Outcome as outcome:
            self.hold_back(outcome)
            raise
        self.signed_in_here = True
        self.log.info("login.ok")
        await self.save_session()

    def why_signed_out(self) -> str:
        return (
            "it ended the saved session" if self.account.session is not None else "no saved session"
        )

    def first_attempt(self) -> bool:
        """Whether this is the run's first automated attempt for this account (and count it)."""
        key = (self.flow.id, self.account.name.casefold())
        if key in self.state.sign_ins:
            return False
        self.state.sign_ins.add(key)
        return True

    def hold_back(self, outcome: Outcome) -> None:
        """After a failure only a person can answer, no run types this password again until they
        have signed in or stored a new one."""
        if outcome.asked and self.options.holds is not None:
            self.options.holds.put(
                self.flow.id, self.account.name, outcome.asked, str(outcome.state)
            )
            self.log.info("login.held", why=outcome.asked)

    async def attempt(
        self, page: Page, setting: Setting, cred: Credential, tabs: Tabs | None = None
    ) -> None:
        """Type the stored credential into the sign-in page open on `page` (in the run's tabs, or
        `tabs`: a person's window) and read how it ended."""
        self.log.info("login.attempt")
        await Steps(self.flow, tabs or self.tabs, self.evidence, setting).attempt(page, cred)

    async def clear_challenge(self, page: Page, setting: Setting, kind: str) -> None:
        """A check the site shows before its pages: shown to the person when one is at the
        machine, once per account and run (attended.py); else needs_human."""
        if self.cleared or not self.options.attended:
            raise Outcome(State.NEEDS_HUMAN, challenge_detail(self.flow, kind, None, False))
        self.cleared = True
        await self.attended.clear_challenge(page, setting, kind)

    async def save_session(self) -> None:
        store = self.options.sessions
        if store is None:
            return
        try:
            state = await self.tabs.context.storage_state()
            identity = await identity_of(self.tabs.context) or self.account.identity
            store.save(self.flow.id, self.account.name, state, identity)
        except (
            Exception
        ) as exc:  # a session that cannot be saved costs a sign-in next time, no more
            self.log.warning("session.save_failed", error=logs.scrub(str(exc)))
