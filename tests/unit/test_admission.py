"""Admission control (policygraph/api/admission.py): bounded work at once, bounded waiting, per-key shares,
deadlines and clients that leave. Pure logic with threads; no model, no server."""

from __future__ import annotations

import threading
import time

import pytest

from policygraph.api.admission import Admission, WorkTicket
from policygraph.errors import Cancelled, DeadlineExceeded, Overloaded


def ticket(seconds: float = 5.0) -> WorkTicket:
    return WorkTicket.within(seconds)


class Holder:
    """Holds a turn in a thread until released."""

    def __init__(self, adm: Admission, key: str) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(adm, key), daemon=True)
        self.thread.start()

    def _run(self, adm: Admission, key: str) -> None:
        try:
            with adm.turn(key, ticket()):
                self.started.set()
                self.release.wait(5)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc
            self.started.set()

    def done(self) -> None:
        self.release.set()
        self.thread.join(5)


def test_work_under_the_limits_runs_at_once():
    adm = Admission(max_running=2, max_queued=0, per_key_running=2, per_key_queued=0)
    with adm.turn("a", ticket()), adm.turn("a", ticket()):
        assert adm.stats().running == 2


def test_a_full_queue_refuses_at_once_with_retry_after():
    adm = Admission(max_running=1, max_queued=0, per_key_running=1, per_key_queued=0, retry_after=3)
    h = Holder(adm, "a")
    assert h.started.wait(5)
    t0 = time.monotonic()
    with pytest.raises(Overloaded, match="at capacity") as exc:
        with adm.turn("b", ticket()):
            pass
    assert time.monotonic() - t0 < 0.5 and exc.value.retry_after == 3  # refused, not left to hang
    assert adm.stats().shed == 1
    h.done()


def test_one_key_cannot_queue_more_than_its_share():
    adm = Admission(max_running=1, max_queued=10, per_key_running=1, per_key_queued=1)
    h = Holder(adm, "busy")
    assert h.started.wait(5)
    waiter = Holder(adm, "busy")  # queues (its one allowed waiting request)
    time.sleep(0.1)
    with pytest.raises(Overloaded, match="for this key"):
        with adm.turn("busy", ticket()):
            pass
    h.done()
    assert waiter.started.wait(5) and waiter.error is None
    waiter.done()


def test_another_key_is_served_before_a_busy_key_at_its_share():
    """Given one key holding its share of the running slots and more of its requests waiting, when another
    key's request arrives it takes the free slot at once instead of queueing behind them."""
    adm = Admission(max_running=3, max_queued=10, per_key_running=2, per_key_queued=10)
    hogs = [Holder(adm, "hog") for _ in range(2)]
    assert all(h.started.wait(5) for h in hogs)
    queued_hog = Holder(adm, "hog")
    time.sleep(0.1)
    assert not queued_hog.started.is_set()  # at its share: it waits although a slot is free
    t0 = time.monotonic()
    with adm.turn("polite", ticket()):
        assert time.monotonic() - t0 < 0.5
    for h in hogs:
        h.done()
    assert queued_hog.started.wait(5)
    queued_hog.done()


def test_a_deadline_that_passes_while_waiting_gives_up_the_place_in_the_queue():
    adm = Admission(max_running=1, max_queued=1, per_key_running=1, per_key_queued=1)
    h = Holder(adm, "a")
    assert h.started.wait(5)
    with pytest.raises(DeadlineExceeded):
        with adm.turn("b", ticket(0.2)):
            pass
    assert adm.stats().queued == 0 and adm.stats().deadline == 1
    assert adm.overloaded() is None  # the place was given back
    h.done()


def test_a_client_that_leaves_while_waiting_is_dropped():
    adm = Admission(max_running=1, max_queued=1, per_key_running=1, per_key_queued=1)
    h = Holder(adm, "a")
    assert h.started.wait(5)
    t = ticket()
    threading.Timer(0.1, t.cancel).start()
    with pytest.raises(Cancelled):
        with adm.turn("b", t):
            pass
    assert adm.stats().cancelled == 1 and adm.stats().queued == 0
    h.done()


def test_readiness_says_overloaded_while_the_queue_is_full():
    adm = Admission(max_running=1, max_queued=1, per_key_running=1, per_key_queued=1)
    h = Holder(adm, "a")
    assert h.started.wait(5)
    w = Holder(adm, "b")
    time.sleep(0.1)
    assert adm.overloaded() and "1 requests waiting" in adm.overloaded()
    h.done()
    assert w.started.wait(5)
    w.done()
    assert adm.overloaded() is None


def test_a_ticket_stops_work_between_steps():
    t = ticket(0.05)
    t.check("embed")
    time.sleep(0.06)
    with pytest.raises(DeadlineExceeded, match="at classify"):
        t.check("classify")
    t2 = ticket()
    t2.cancel()
    with pytest.raises(Cancelled):
        t2.check("retrieve")
