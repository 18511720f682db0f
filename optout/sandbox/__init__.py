"""Replicas of the platforms' pages, served at their real URLs through Playwright routing.

A replica is stateful (a setting switched off stays off after a reload) and can be told to
misbehave the ways real platforms do. Tests and `optout demo` run the real flows against it; no
request ever leaves the machine (anything a replica does not serve is aborted).

Layout: `replica` (Request, Response, the page helpers, the Replica base), `router` (Sandbox,
MISBEHAVIOURS, routing, state files), `kit/` (the shapes several platforms share: one setting,
per-item, assistant, objection form), and one module per platform. Replicas written outside this
repository import the names below from `optout.sandbox`."""

from optout.sandbox.replica import (
    SANDBOX_PASSWORD,
    SANDBOX_USERNAME,
    Replica,
    Request,
    Response,
    digest,
    late_page,
    page,
    redirect,
)
from optout.sandbox.router import HOSTILE_TEXT, MISBEHAVIOURS, Sandbox, replica_classes, state_file

__all__ = [
    "HOSTILE_TEXT",
    "MISBEHAVIOURS",
    "SANDBOX_PASSWORD",
    "SANDBOX_USERNAME",
    "Replica",
    "Request",
    "Response",
    "Sandbox",
    "digest",
    "late_page",
    "page",
    "redirect",
    "replica_classes",
    "state_file",
]
