"""Run tasks on daemon threads with deadlines.

concurrent.futures' workers are joined when the interpreter exits, so one collector stuck in a read
(a FIFO, a server that never answers) would keep the process alive after the report is written.
These threads are daemons: what has not finished in time is abandoned, never waited for.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any


class Task:
    """One unit of work; `done` is set when it returned or raised (then `error` holds the exception)."""

    def __init__(self, fn: Callable[[], Any], timeout: float | None) -> None:
        self.fn = fn
        self.timeout = timeout  # seconds from its start; None: only the overall deadline
        self.result: Any = None
        self.error: BaseException | None = None
        self.started: float | None = None
        self.done = threading.Event()

    def overdue(self, now: float, deadline: float) -> bool:
        if self.started is not None and self.timeout is not None:
            return now >= min(deadline, self.started + self.timeout)
        return now >= deadline


def run_all(fns: Sequence[Callable[[], Any]], workers: int, deadline: float, name: str = "worker",
            timeouts: Sequence[float | None] | None = None) -> list[Task]:
    """Run `fns` on at most `workers` daemon threads and return once every task is done or overdue:
    past its own timeout (counted from when it started) or past the monotonic `deadline`.
    Overdue tasks are left running with `done` unset."""
    tasks = [Task(fn, timeouts[i] if timeouts else None) for i, fn in enumerate(fns)]
    todo: queue.SimpleQueue[Task] = queue.SimpleQueue()
    for task in tasks:
        todo.put(task)
    changed = threading.Condition()

    def work() -> None:
        while True:
            try:
                task = todo.get_nowait()
            except queue.Empty:
                return
            task.started = time.monotonic()
            try:
                task.result = task.fn()
            except BaseException as exc:  # reported to the caller, which decides
                task.error = exc
            task.done.set()
            with changed:
                changed.notify_all()

    started = 0
    for i in range(min(workers, len(tasks))):
        try:
            threading.Thread(target=work, name=f"{name}-{i}", daemon=True).start()
        except RuntimeError:  # "can't start new thread": out of memory or of threads; carry on with fewer
            break
        started += 1
    if not started:
        work()  # not even one thread: run here, in order (the watchdog still bounds the run)
    with changed:
        while True:
            now = time.monotonic()
            waiting = [t for t in tasks if not t.done.is_set() and not t.overdue(now, deadline)]
            if not waiting:
                return tasks
            changed.wait(0.05)
