"""Admission control for decision work: how much runs at once, how much may wait, for how long, and
what happens to work whose client left.

A decision is CPU work (an embedding, searches, the agent's steps). Without a bound, one caller that
sends many large requests makes every other caller wait behind it, and work goes on for clients that
have gone. So every decision takes a turn from `Admission`:

* at most `max_running` decisions run at once, and one key holds at most `per_key_running` of them:
  a waiting request of another key is served first when the busy key is at its share;
* at most `max_queued` requests wait in all, `per_key_queued` per key; beyond that a request is
  refused at once with `Overloaded` (HTTP 429 + Retry-After) — never left to hang;
* every request carries a `WorkTicket`: its deadline (`DeadlineExceeded`, HTTP 503 + Retry-After,
  while waiting or between the agent's steps) and a cancellation flag the HTTP layer sets when the
  client disconnects (`Cancelled`: the work stops at the next step);
* `overloaded()` tells readiness when the queue is full, so a load balancer can steer traffic away.

Waiting requests are served first come, first served among the keys that are under their share.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from policygraph.errors import Cancelled, DeadlineExceeded, Overloaded


@dataclass
class WorkTicket:
    """One request's budget: when it must be done, and whether its client is still there."""

    deadline: float  # time.monotonic() by which the work must be done
    cancelled: threading.Event = field(default_factory=threading.Event)
    retry_after: float = 1.0

    @classmethod
    def within(cls, seconds: float, retry_after: float = 1.0) -> WorkTicket:
        return cls(deadline=time.monotonic() + seconds, retry_after=retry_after)

    def cancel(self) -> None:
        self.cancelled.set()

    def check(self, where: str = "") -> None:
        """Raise if the work should stop: the client left, or the deadline passed."""
        at = f" (at {where})" if where else ""
        if self.cancelled.is_set():
            raise Cancelled(f"the client went away; the work was stopped{at}", self.retry_after)
        if time.monotonic() > self.deadline:
            raise DeadlineExceeded(f"the request ran out of time{at}; try again later", self.retry_after)


@dataclass
class _Waiter:
    key: str
    ticket: WorkTicket


@dataclass
class AdmissionStats:
    running: int
    queued: int
    admitted: int
    shed: int
    deadline: int
    cancelled: int


class Admission:
    def __init__(self, max_running: int, max_queued: int, per_key_running: int, per_key_queued: int,
                 retry_after: float = 1.0) -> None:
        if min(max_running, per_key_running) < 1 or min(max_queued, per_key_queued) < 0:
            raise ValueError("admission limits must be positive (queues may be 0)")
        self.max_running, self.max_queued = max_running, max_queued
        self.per_key_running, self.per_key_queued = per_key_running, per_key_queued
        self.retry_after = retry_after
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[_Waiter] = deque()
        self._running: dict[str, int] = {}
        self._queued: dict[str, int] = {}
        self._counts = {"admitted": 0, "shed": 0, "deadline": 0, "cancelled": 0}

    # ------------------------------------------------------------------ the turn
    @contextmanager
    def turn(self, key: str, ticket: WorkTicket) -> Iterator[None]:
        """Wait for a turn (or be refused at once), run, give the turn back."""
        self._enter(key, ticket)
        try:
            yield
        finally:
            with self._cond:
                self._running[key] -= 1
                self._cond.notify_all()

    def _enter(self, key: str, ticket: WorkTicket) -> None:
        with self._cond:
            me = _Waiter(key, ticket)
            if self._may_run(me):
                self._start(me)
                return
            if len(self._queue) >= self.max_queued:
                self._counts["shed"] += 1
                raise Overloaded(f"the service is at capacity ({self._total_running()} running, {len(self._queue)} "
                                 "waiting); try again shortly", self.retry_after)
            if self._queued.get(key, 0) >= self.per_key_queued:
                self._counts["shed"] += 1
                raise Overloaded(f"too many requests in progress for this key ({self._running.get(key, 0)} running, "
                                 f"{self._queued.get(key, 0)} waiting); try again shortly", self.retry_after)
            self._queue.append(me)
            self._queued[key] = self._queued.get(key, 0) + 1
            try:
                while self._first_eligible() is not me:
                    try:
                        ticket.check("waiting for a turn")
                    except Cancelled:
                        self._counts["cancelled"] += 1
                        raise
                    except DeadlineExceeded:
                        self._counts["deadline"] += 1
                        raise
                    # woken when a turn is given back; a short timeout notices deadlines and departures
                    self._cond.wait(min(0.05, max(0.001, ticket.deadline - time.monotonic())))
            except BaseException:
                self._queue.remove(me)
                self._queued[key] -= 1
                self._cond.notify_all()  # the queue changed: another waiter may now be first
                raise
            self._queue.remove(me)
            self._queued[key] -= 1
            self._start(me)

    def _start(self, w: _Waiter) -> None:
        self._running[w.key] = self._running.get(w.key, 0) + 1
        self._counts["admitted"] += 1

    def _total_running(self) -> int:
        return sum(self._running.values())

    def _may_run(self, w: _Waiter) -> bool:
        return self._total_running() < self.max_running and self._running.get(w.key, 0) < self.per_key_running \
            and not any(self._eligible(x) for x in self._queue)  # no jumping ahead of an eligible waiter

    def _eligible(self, w: _Waiter) -> bool:
        return self._running.get(w.key, 0) < self.per_key_running

    def _first_eligible(self) -> _Waiter | None:
        if self._total_running() >= self.max_running:
            return None
        return next((w for w in self._queue if self._eligible(w)), None)

    # ------------------------------------------------------------------ what it looks like
    def overloaded(self) -> str | None:
        """Why the service should not get more traffic now (its queue is full), or None."""
        with self._cond:
            if self.max_queued and len(self._queue) >= self.max_queued:
                return f"overloaded: {len(self._queue)} requests waiting (limit {self.max_queued})"
        return None

    def stats(self) -> AdmissionStats:
        with self._cond:
            return AdmissionStats(running=self._total_running(), queued=len(self._queue), **self._counts)
