"""Sampling a measured process and everything it started (the Playwright driver, the browser and
its children) while it runs: peak memory, browsers at once, CPU time; for optout.bench."""

from __future__ import annotations

import threading


class TreeSampler:
    """Peak memory summed over a process and all its descendants (RSS, which counts pages shared
    between processes once per process, and PSS, which splits them), and the most browsers seen
    at once (a browser's main process: started with --remote-debugging-pipe, and no --type=); and
    the CPU time the tree used (`cpu_s`, as last seen of each process: a process's last 0.1 s
    before it ended is missed), and the whole machine's busy CPU time meanwhile (`machine_cpu_s`),
    so what other work took is the difference."""

    def __init__(self, pid: int, every_s: float = 0.1):
        import psutil

        self.root, self.every_s = psutil.Process(pid), every_s
        self.peak_rss = 0
        self.peak_pss = 0
        self.browsers = 0
        self._cpu: dict[tuple[int, float], float] = {}
        self.machine_cpu_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total, pss, mains = 0, 0, {}
            for proc in procs:
                try:
                    info = proc.memory_full_info()
                    times = proc.cpu_times()
                    self._cpu[(proc.pid, proc.create_time())] = times.user + times.system
                    total += info.rss
                    pss += getattr(info, "pss", info.rss)
                    args = proc.cmdline()
                    if "--remote-debugging-pipe" in args and not any(
                        a.startswith("--type=") for a in args
                    ):
                        mains[proc.pid] = proc.ppid()
                except psutil.Error:
                    pass
            self.peak_rss = max(self.peak_rss, total)
            self.peak_pss = max(self.peak_pss, pss)
            # A child the browser is starting looks like the browser until it execs: not a browser.
            self.browsers = max(
                self.browsers, sum(1 for parent in mains.values() if parent not in mains)
            )
            self._stop.wait(self.every_s)

    @property
    def cpu_s(self) -> float:
        return sum(self._cpu.values())

    @staticmethod
    def _busy() -> float:
        import psutil

        t = psutil.cpu_times()
        # guest time is counted in user time already; steal is time the machine did not get
        return (
            sum(t)
            - t.idle
            - sum(getattr(t, k, 0.0) for k in ("iowait", "steal", "guest", "guest_nice"))
        )

    def __enter__(self) -> TreeSampler:
        self._busy_at_start = self._busy()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.machine_cpu_s = self._busy() - self._busy_at_start
