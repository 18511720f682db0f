"""The parts of `optout ui` that need no browser: where you stand in words, and a run's events
resumed after a reconnect without a repeat."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from optout.history import History
from optout.paths import Profile
from optout.results import Result
from optout.states import State
from optout.ui.jobs import Job


def test_where_you_stand_in_words_with_drift_and_one_next_step():
    from optout.ui.words import where_you_stand

    profile = Profile("default").ensure()
    earlier = datetime.now(UTC) - timedelta(days=2)
    for state, at in ((State.OFF, earlier), (State.ON, None)):
        with History(profile) as history:
            run = history.start_run("check")
            history.record(
                run,
                Result(
                    "linkedin",
                    "generative-ai",
                    state,
                    account="a@example.org",
                    label="Use my data for training content creation AI models",
                    **({"at": at} if at else {}),
                ),
            )
            history.finish_run(run)
    rows, step = where_you_stand(profile)
    [row] = rows
    assert (row.name, row.words) == ("LinkedIn", "On — LinkedIn uses your data to train AI")
    assert row.age == "just now" and row.drift and "off" in row.drift[0], row
    assert (step.action, step.platform, step.label) == (
        "off",
        "linkedin",
        "Switch off AI training on LinkedIn",
    )


async def test_a_reconnecting_page_gets_the_rest_of_the_events_and_no_repeat():
    job = Job("j", "check", ["linkedin"])
    for n in range(3):
        job.say(f"said {n}")

    async def rest(seen):
        return [(number, event["text"]) async for number, event in job.follow(seen)]

    reader = asyncio.create_task(rest(2))
    await asyncio.sleep(0)
    job.say("said 3")
    job.done = True
    job.push({"type": "end", "text": ""})
    assert await asyncio.wait_for(reader, 5) == [(3, "said 2"), (4, "said 3"), (5, "")]
