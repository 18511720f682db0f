"""Stopping on a signal: Ctrl-C (SIGINT), a closed terminal (SIGHUP) or SIGTERM cancel the work
that is running, so every `finally` on the way out runs (an assisted session's temporary folder is
removed, the browser is closed, a half-done run is taken out of the history), and then `Stopped`
is raised for the command line to say what finished and exit with 128 + the signal's number.

A signal is never swallowed: code that catches the cancellation cannot make the run carry on
as if nothing happened, because `run` raises `Stopped` once the coroutine returns anyway.
"""

from __future__ import annotations

import asyncio
import signal

#: The signals that stop a run cleanly (those a platform has).
SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(KeyboardInterrupt):
    """The run was stopped by a signal; `exit_code` is 128 + its number (130 for Ctrl-C)."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def why(self) -> str:
        return {signal.SIGINT: "Ctrl-C"}.get(self.signum, signal.Signals(self.signum).name)


def run(coro):
    """asyncio.run(coro), stopped cleanly by SIGINT, SIGTERM or SIGHUP (see the module)."""

    received: list[int] = []

    async def main():
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        installed = []

        def on_signal(signum: int) -> None:
            received.append(signum)
            task.cancel()

        for signum in SIGNALS:
            try:
                loop.add_signal_handler(signum, on_signal, signum)
                installed.append(signum)
            except (
                NotImplementedError,
                RuntimeError,
                ValueError,
            ):  # Windows, or not the main thread
                pass
        try:
            return await coro
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)

    try:
        result = asyncio.run(main())
    except asyncio.CancelledError:
        if received:
            raise Stopped(received[0]) from None
        raise
    except Stopped:
        raise
    except KeyboardInterrupt:
        raise Stopped(signal.SIGINT) from None
    if received:
        raise Stopped(received[0])
    return result
