"""A check, a switch-off or an assisted session running for the page, and what it says as it goes.

A Job keeps every event it emitted (so a page that connects late, or again, sees all of them) and
the questions it waits on: an objection form's exact words before it is sent, or, in volunteer
mode, whether to switch off what was read as on. Nothing secret goes into an event: results,
what optout tells the person, and the fields of a form as the platform's page shows them
(passwords are never read, see optout.engine.forms.SENDING_JS)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from optout import api, people
from optout.errors import OptoutError
from optout.logs import scrub
from optout.textsafe import inert
from optout.ui.words import forms, names, result_event


@dataclass
class UiContext:
    """What every run of this page shares: whose profile, which browser, replicas or real sites."""

    profile: object  # optout.paths.Profile
    setup_context: object | None = None  # Sandbox.install in --sandbox mode
    browser_path: str | None = None
    sandbox: bool = False
    #: Checks and switch-offs work out of sight unless asked (--headed); a sign-in that needs the
    #: person, and volunteer mode, always open a visible window.
    headless: bool = True
    #: A person is at this machine and a window can open there (a sign-in's challenge goes there).
    attended: bool = True
    #: How long a question on the page or a sign-in in the window waits for the person.
    person_wait_s: float = 600.0
    #: Tests play the person in the visible window through these (api on_window, assist on_ready).
    on_window: object | None = None
    on_ready: object | None = None


@dataclass
class Job:
    id: str
    kind: str  # check | off | assist
    platforms: list[str]
    events: list[dict] = field(default_factory=list)
    done: bool = False
    results: list = field(default_factory=list)
    handout: str | None = None
    asks: dict[int, asyncio.Future] = field(default_factory=dict)
    task: asyncio.Task | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def push(self, event: dict) -> None:
        self.events.append(event)
        woke, self._wake = self._wake, asyncio.Event()
        woke.set()

    def say(self, text: str) -> None:
        self.push({"type": "say", "text": inert(text)})

    async def follow(self, seen: int = 0):
        """(number, event) of every event after the first `seen`, as it comes; ends after the last."""
        while True:
            wake = self._wake
            while seen < len(self.events):
                seen += 1
                yield seen, self.events[seen - 1]
            if self.done:
                return
            await wake.wait()

    async def ask(self, question: dict, wait_s: float) -> bool:
        """Put a question on the page and wait for the person's answer (no answer: no)."""
        number = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self.asks[number] = answer
        self.push({**question, "type": "confirm", "id": number})
        try:
            return bool(await asyncio.wait_for(answer, wait_s))
        except TimeoutError:
            self.say(f"No answer on the page within {wait_s / 60:.0f} minutes: nothing was sent.")
            return False
        finally:
            self.asks.pop(number, None)
            self.push({"type": "answered", "id": number})

    def answer(self, number: int, yes: bool) -> bool:
        waiting = self.asks.get(number)
        if waiting is None or waiting.done():
            return False
        waiting.set_result(yes)
        return True


def form_question(flow, account, setting, sending) -> dict:
    return {
        "kind": "form",
        "name": flow.name,
        "setting": inert(setting.label),
        "account": inert(account.name),
        "fields": [[inert(k), inert(v)] for k, v in sending],
        "text": f"Send this objection to {flow.name} in your name?",
    }


async def run_flow(ctx: UiContext, job: Job, reason: str = "") -> None:
    """check or off through the Python API, each result and each question on the page."""

    known, known_forms = names(), forms()

    async def confirm_form(flow, account, setting, sending) -> bool:
        return await job.ask(form_question(flow, account, setting, sending), ctx.person_wait_s)

    fn = api.check if job.kind == "check" else api.switch_off
    extra = {"form_reason": reason, "confirm_form": confirm_form} if job.kind == "off" else {}
    # The API takes the profile's run lock: never at the same time as a scheduled run.
    job.results = await fn(
        job.platforms,
        profile=ctx.profile,
        setup_context=ctx.setup_context,
        browser_path=ctx.browser_path,
        headless=ctx.headless,
        attended=ctx.attended,
        person_wait_s=ctx.person_wait_s,
        on_window=ctx.on_window,
        tell=job.say,
        on_result=lambda r: job.push(result_event(r, known, known_forms)),
        kind=job.kind,
        **extra,
    )


async def run_assist(
    ctx: UiContext, job: Job, reason: str = "", person: str = "", keep: bool = False
) -> None:
    """Volunteer mode: `optout assist` with the questions on the page, ending with the handout."""

    known, known_forms = names(), forms()

    async def confirm(flow, readings, to_switch) -> bool:
        settings = ", ".join(f'"{inert(r.label or r.setting)}"' for r in to_switch)
        return await job.ask(
            {
                "kind": "switch",
                "name": flow.name,
                "fields": [],
                "text": f"Switch off {settings} on {flow.name} now? Ask the person.",
            },
            ctx.person_wait_s,
        )

    async def confirm_form(flow, account, setting, sending) -> bool:
        return await job.ask(form_question(flow, account, setting, sending), ctx.person_wait_s)

    done = await people.assist(
        job.platforms,
        keep_profile=ctx.profile if keep else None,
        confirm=confirm,
        tell=job.say,
        on_result=lambda r: job.push(result_event(r, known, known_forms)),
        browser_path=ctx.browser_path,
        setup_context=ctx.setup_context,
        on_ready=ctx.on_ready,
        wait_s=ctx.person_wait_s,
        form_reason=reason,
        confirm_form=confirm_form,
    )
    job.results = done.results
    job.handout = people.handout_html(
        done.results,
        name=person or None,
        assisted=True,
        sample=ctx.sandbox,
        recheck=[f"optout{' --sandbox' if ctx.sandbox else ''} ui"],
    )
    job.say(
        people.what_was_kept(done.kept, None)
        + " The handout is on this page only until you close it."
    )


async def run(ctx: UiContext, job: Job, runner, **kwargs) -> None:
    """Run a job to its end: an expected failure is said in words with its next step, never as a
    traceback; the page is always told it is over."""

    try:
        await runner(ctx, job, **kwargs)
    except OptoutError as exc:
        job.push({"type": "failed", "text": inert(exc.message), "hint": inert(exc.hint or "")})
    except asyncio.CancelledError:
        job.push(
            {
                "type": "failed",
                "text": "Stopped before it finished; nothing of it was recorded.",
                "hint": "",
            }
        )
        raise
    except Exception as exc:  # noqa: BLE001 - said on the page, in one line
        job.push(
            {
                "type": "failed",
                "text": f"Unexpected {type(exc).__name__}: {inert(scrub(str(exc)))[:300]}",
                "hint": "Run the same from a terminal with -v for details, and please report it.",
            }
        )
    finally:
        summary = {"type": "done", "handout": job.handout is not None}
        job.push(summary)
        job.done = True
        job.push({"type": "end"})
