"""Run tasks on daemon threads with a deadline.

concurrent.futures' workers are joined when the interpreter exits, so one collector stuck in a read
(a FIFO, a server that never answers) would keep the process alive after the report is written.
These threads are daemons: what has not finished by the deadline is abandoned, never waited for.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any


class Task:
    """One unit of work; `done` is set when it returned or raised (then `error` holds the exception)."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None
        self.started: float | None = None
        self.done = threading.Event()


def run_all(fns: Sequence[Callable[[], Any]], workers: int, deadline: float, name: str = "worker") -> list[Task]:
    """Start `fns` on at most `workers` daemon threads and wait until all are done or the monotonic
    `deadline` passes. Tasks still running (or not started) are left with `done` unset."""
    tasks = [Task(fn) for fn in fns]
    todo: queue.SimpleQueue[Task] = queue.SimpleQueue()
    for task in tasks:
        todo.put(task)

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

    started = 0
    for i in range(min(workers, len(tasks))):
        try:
            threading.Thread(target=work, name=f"{name}-{i}", daemon=True).start()
        except RuntimeError:  # "can't start new thread": out of memory or of threads; carry on with fewer
            break
        started += 1
    if not started and tasks:
        work()  # not even one thread: run here, in order (the watchdog still bounds the run)
    for task in tasks:
        if not task.done.wait(max(0.0, deadline - time.monotonic())):
            break
    return tasks
