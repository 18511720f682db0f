"""A run routed to the replicas (`setup_context=sandbox.install`) lives in a sandbox profile: its
readings, sessions and evidence never land in a person's real profile, whatever the caller passes."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from optout import api
from optout.errors import OptoutError
from optout.history import History
from optout.paths import Profile
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from optout.sessions import SessionStore

SENTINEL_PASSWORD = "sentinel-pw-World&<>\"' %/9"


def _creds():
    return {"linkedin": api.Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)}


async def test_a_replica_run_without_a_profile_records_under_the_sandbox_profile(browser_path):
    sandbox = Sandbox()
    sandbox.configure("linkedin", password=SENTINEL_PASSWORD)
    results = await api.check(
        ["linkedin"],
        credentials=_creds(),
        setup_context=sandbox.install,
        browser_path=browser_path,
        sessions=False,
    )
    assert {r.state for r in results} == {"on"}, [r.detail for r in results]
    assert not Profile("default").history_db.exists()  # the real history never saw a replica
    with History(Profile("sandbox-default")) as h:
        assert {row["platform"] for row in h.latest()} == {"linkedin"}


@pytest.mark.parametrize("profile", ["default", "alice", Profile("alice")])
async def test_a_replica_run_into_a_real_profile_is_refused(profile, browser_path):
    sandbox = Sandbox()
    with pytest.raises(OptoutError) as caught:
        await api.check(
            ["linkedin"],
            credentials=_creds(),
            setup_context=sandbox.install,
            browser_path=browser_path,
            profile=profile,
            sessions=False,
        )
    name = profile if isinstance(profile, str) else profile.name
    assert f"profile='sandbox-{name}'" in str(caught.value)
    assert not Profile(name).base.exists()  # refused before anything was written


async def test_replica_sessions_never_go_to_a_real_profiles_store(browser_path):
    sandbox = Sandbox()
    real = SessionStore(Profile("default"), key=Fernet.generate_key())
    calls = (
        lambda: api.check(
            ["linkedin"],
            credentials=_creds(),
            setup_context=sandbox.install,
            browser_path=browser_path,
            sessions=real,
        ),
        lambda: api.login(
            "linkedin",
            headless=True,
            browser_path=browser_path,
            setup_context=sandbox.install,
            sessions=real,
            wait_s=1,
        ),
    )
    for call in calls:
        with pytest.raises(OptoutError, match="sandbox-default"):
            await call()
    assert not Profile("default").base.exists()


async def test_login_through_the_replicas_into_a_real_profile_is_refused(browser_path):
    with pytest.raises(OptoutError, match="profile='sandbox-alice'"):
        await api.login(
            "linkedin",
            profile="alice",
            headless=True,
            browser_path=browser_path,
            setup_context=Sandbox().install,
            wait_s=1,
        )


async def test_a_wrapper_around_the_replicas_cannot_record_in_a_real_profile(browser_path):
    """A setup_context of the caller's own that routes to the replicas without saying so: the
    router refuses it, the run raises, and the real history keeps no row of it."""
    sandbox = Sandbox()
    sandbox.configure("linkedin", password=SENTINEL_PASSWORD)

    async def setup(context):
        await sandbox.install(context)

    with pytest.raises(OptoutError, match="profile='sandbox-default'"):
        await api.check(
            ["linkedin"],
            credentials=_creds(),
            setup_context=setup,
            browser_path=browser_path,
            sessions=False,
        )
    with History(Profile("default")) as h:
        assert h.runs() == [] and h.latest() == []
    assert sandbox.replica("linkedin").events("login") == []  # no request reached a replica


async def test_an_assisted_session_on_the_replicas_is_never_kept_in_a_real_profile(
    browser_path, tmp_path
):
    from optout import people

    with pytest.raises(OptoutError, match="profile='sandbox-carol'"):
        await people.assist(
            ["linkedin"],
            keep_profile=Profile("carol"),
            confirm=lambda *a: True,
            headless=True,
            browser_path=browser_path,
            setup_context=Sandbox().install,
            tmp_root=tmp_path,
        )
    assert not Profile("carol").base.exists()
