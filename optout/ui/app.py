"""The Starlette app of `optout ui` and the server's life: bound to 127.0.0.1, stopped by the
page's Close button or by Ctrl-C (then exit 130, as every optout command)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from optout.errors import OptoutError
from optout.ui import routes
from optout.ui.jobs import Job, UiContext
from optout.ui.security import Guard, GuardMiddleware

HOST = "127.0.0.1"


@dataclass
class Ui:
    """One running page: its context, its secrets, its runs, and how to stop it."""

    ctx: UiContext
    guard: Guard = field(default_factory=Guard)
    jobs: dict[str, Job] = field(default_factory=dict)
    server: object | None = None  # uvicorn.Server
    closed_by_page: bool = False

    def stop(self, by_page: bool = False) -> None:
        self.closed_by_page = self.closed_by_page or by_page
        for job in self.jobs.values():
            if job.task is not None and not job.task.done():
                job.task.cancel()
        if self.server is not None:
            self.server.should_exit = True


def create_app(ui: Ui):
    app = Starlette(
        routes=[
            Route("/", routes.stand),
            Route("/act", routes.act),
            Route("/volunteer", routes.volunteer),
            Route("/accounts", routes.accounts),
            Route("/accounts", routes.add_account, methods=["POST"]),
            Route("/accounts/remove", routes.remove_account, methods=["POST"]),
            Route("/runs", routes.start_run, methods=["POST"]),
            Route("/runs/{job}", routes.run_page),
            Route("/runs/{job}/events", routes.events),
            Route("/runs/{job}/answer", routes.answer, methods=["POST"]),
            Route("/runs/{job}/handout", routes.handout),
            Route("/close", routes.close, methods=["POST"]),
            Mount(
                "/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"
            ),
        ],
        middleware=[Middleware(GuardMiddleware, guard=ui.guard)],
    )
    app.state.ui = ui
    return app


def bind(port: int = 0) -> socket.socket:
    """A socket on 127.0.0.1 only (port 0: any free one). Bound before the URL is made, so the
    Host check knows its port."""

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise OptoutError(
            f"Could not listen on {HOST}:{port}: {exc.strerror}.",
            "Choose another --port, or leave it out to take a free one.",
        ) from None
    sock.listen(16)
    return sock


def server(ui: Ui, sock: socket.socket):
    """A uvicorn server for `ui` on the bound socket: no access log (paths only, but nothing to
    keep), a short grace at shutdown so a live progress stream does not hold it open."""

    ui.guard.port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(ui),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        proxy_headers=False,
        server_header=False,
        date_header=False,
    )
    ui.server = uvicorn.Server(config)
    return ui.server


async def serve(ui: Ui, sock: socket.socket, on_ready=None) -> None:
    """Serve until Close or Ctrl-C; `on_ready(url)` once it accepts connections."""

    srv = server(ui, sock)
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    while not srv.started and not task.done():
        await asyncio.sleep(0.02)
    if on_ready is not None and srv.started:
        on_ready(ui.guard.url())
    await task
