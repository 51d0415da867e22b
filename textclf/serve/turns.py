"""One server-wide queue for heavy work (a class arrives at once; a stranger asks the heaviest run):
slots taken in turns, given up between steps to the shortest remaining estimate, so a short run
never waits minutes behind long ones. Memory is held from start to end, so begun work fits."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

QUANTUM = 0.25  # seconds of work before a slot may pass to work with less left to do


class Cancelled(Exception):
    """Nobody wants this work any more: it left the queue."""


@dataclass(eq=False)
class Job:
    """One piece of work in the queue: what it is estimated to cost, and what it has had."""

    seconds: float  # estimated, on one core
    need: int = 0  # bytes it holds from its beginning to its end
    used: float = 0.0  # seconds it has held a slot
    began: bool = False  # it holds its memory
    cancelled: bool = False
    order: int = field(default_factory=itertools.count().__next__)
    _since: float = 0.0  # when it last took a slot

    def left(self) -> float:
        return max(self.seconds - self.used, 0.0)

    def rank(self) -> tuple:
        """Least left to do first; then least served, then first come."""
        return self.left(), self.used, self.order


class Turns:
    """slots pieces of work at once, and at most memory bytes of begun work (0: no cap); work
    that needs more than memory alone begins when nothing else has begun."""

    def __init__(self, slots: int, memory: int = 0, quantum: float = QUANTUM):
        self.slots, self.memory, self.quantum = max(1, slots), memory, quantum
        self._changed = threading.Condition()
        self._waiting: list[Job] = []
        self._running: list[Job] = []
        self._begun: list[Job] = []

    def take(self, job: Job, give_up: Callable[[], bool] | None = None) -> None:
        """Blocks until job holds a slot; raises Cancelled if it is cancelled, or give_up()
        says so, meanwhile."""
        with self._changed:
            self._waiting.append(job)
            self._changed.notify_all()
            try:
                while job not in self._next():
                    if job.cancelled or (give_up is not None and give_up()):
                        raise Cancelled
                    self._changed.wait(0.5)
            finally:
                self._waiting.remove(job)
            self._running.append(job)
            if not job.began:
                job.began = True
                self._begun.append(job)
            job._since = time.monotonic()

    def checkpoint(self, job: Job, give_up: Callable[[], bool] | None = None) -> None:
        """Between two steps of job: counts its time, and after a quantum gives its slot to
        waiting work with less left to do, taking a slot again afterwards."""
        now = time.monotonic()
        if now - job._since < self.quantum:
            return
        with self._changed:
            job.used += now - job._since
            job._since = now
            if not any(self._before(w, job) for w in self._admissible()):
                return
            self._running.remove(job)
            self._changed.notify_all()
        self.take(job, give_up)

    def leave(self, job: Job) -> None:
        """job is done, or given up: its slot and its memory are free."""
        with self._changed:
            if job in self._running:
                job.used += time.monotonic() - job._since
                self._running.remove(job)
            if job in self._begun:
                self._begun.remove(job)
            job.cancelled = True  # anyone still waiting on it stops
            self._changed.notify_all()

    def ahead(self, job: Job) -> tuple[int, float]:
        """Where job stands in line (1: next; 0: running) and about how many seconds the work
        running or before it has left, shared among the slots."""
        with self._changed:
            if job in self._running:
                return 0, 0.0
            before = [w for w in self._waiting if w is not job and self._before(w, job)]
            left = sum(w.left() for w in before + self._running)
            return len(before) + 1, left / self.slots

    def busy(self) -> int:
        with self._changed:
            return len(self._running) + len(self._waiting)

    # under the lock
    @staticmethod
    def _before(a: Job, b: Job) -> bool:
        return a.rank() < b.rank()

    def _admissible(self) -> list[Job]:
        """Waiting work that could run now memory-wise, most deserving first."""
        held = sum(j.need for j in self._begun)
        fits = [
            w
            for w in self._waiting
            if w.began or not self.memory or not self._begun or held + w.need <= self.memory
        ]
        return sorted(fits, key=Job.rank)

    def _next(self) -> list[Job]:
        return self._admissible()[: self.slots - len(self._running)]
