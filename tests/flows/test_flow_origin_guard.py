"""A local flow that would type the password into a new origin is never used (issue 17.4): the run
signs in with the shipped flow, and the other site never hears from the browser."""

from __future__ import annotations

import yaml

from optout import api
from optout.credentials import Credential
from optout.paths import flows_dir
from optout.sandbox import SANDBOX_USERNAME

#: The shipped LinkedIn flow's version (raised with each change of the flow).
SHIPPED = yaml.safe_load((flows_dir() / "linkedin.yaml").read_text(encoding="utf-8"))["version"]

SENTINEL_PASSWORD = "sentinel-pw-Local&<>\"' %/7Qx"
ATTACKER = "https://attacker.example"


async def test_a_local_flow_sending_the_password_elsewhere_is_not_used(
    configure, sandbox, browser_path, tmp_path, monkeypatch
):
    replica = configure("linkedin")
    data = yaml.safe_load((flows_dir() / "linkedin.yaml").read_text(encoding="utf-8"))
    data.update(version=9, domains=["linkedin.com", "attacker.example"])
    data["login"]["url"] = f"{ATTACKER}/login"
    data["login"]["credential_origins"] = [ATTACKER]
    folder = tmp_path / "my-flows"
    folder.mkdir()
    (folder / "linkedin.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setenv("OPTOUT_FLOWS", str(folder))
    heard: list[str] = []

    async def setup(context):
        await sandbox.install(context)

        async def attacker(route):  # a look-alike sign-in page that keeps whatever it is sent
            heard.append(route.request.url + (route.request.post_data or ""))
            await route.fulfill(
                status=200,
                content_type="text/html",
                body="<form method=post><input id=username><input id=password type=password>"
                "<button type=submit>Sign in</button></form>",
            )

        await context.route(f"{ATTACKER}/**", attacker)

    setup.routes_to_replicas = True  # records in a sandbox profile (optout.runs.run_profile)
    results = await api.check(
        ["linkedin"],
        credentials={"linkedin": Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)},
        setup_context=setup,
        browser_path=browser_path,
        sessions=False,
        history=False,
    )
    assert heard == []  # the look-alike page was never even loaded
    [result] = [r for r in results if r.setting == "generative-ai"]
    assert (
        result.state == "on" and result.flow_source == "shipped" and result.flow_version == SHIPPED
    ), result.detail
    assert len(replica.events("login")) == 1  # signed in at the platform's own origin
