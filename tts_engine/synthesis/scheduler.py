"""Fair scheduling of inference, one chunk at a time.

Every caller of the engine hands in small steps (one chunk's inference each) with a priority
(`Priority`) and an opaque key saying who asked (a server, a client, a job). Workers always take
the most urgent priority that has work; within it they go round robin over the keys, so a long
text from one key delays another key's next step by at most one step, and a key with several
streams runs them in order. Steps whose cancel event is set are dropped unrun, and a running
step can notice its cancel event through `raise_if_cancelled` (the model calls it between its
layers), so a stream whose listener is gone frees the workers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Generator, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, TypeVar

from tts_engine.errors import SynthesisCancelled

T = TypeVar("T")


class Priority(IntEnum):
    """Who goes first when several wait: lower runs first."""

    #: Someone in a voice channel is waiting to hear it.
    VOICE = 0
    #: An HTTP or Wyoming client is streaming it.
    INTERACTIVE = 1
    #: Queued work (`/tts` jobs, whole-clip requests).
    BATCH = 2


_current = threading.local()


def current_cancel() -> threading.Event | None:
    """The cancel event of the step running on this thread, if any."""
    return getattr(_current, "cancel", None)


def raise_if_cancelled() -> None:
    """`SynthesisCancelled` when the step running on this thread was cancelled."""
    cancel = current_cancel()
    if cancel is not None and cancel.is_set():
        raise SynthesisCancelled()


@dataclass(eq=False)
class _Step:
    fn: Callable[[], Any]
    future: Future[Any]
    cancel: threading.Event | None
    queued_at: float = field(default_factory=time.monotonic)


class FairScheduler:
    """`workers` threads running submitted steps by priority, round robin over keys; a step
    older than `max_wait_s` (None: never) goes first."""

    def __init__(self, workers: int, name: str = "tts-engine",
                 max_wait_s: float | None = None) -> None:
        self.max_wait_s = max_wait_s
        self._cond = threading.Condition()
        self._queues: list[OrderedDict[Hashable, deque[_Step]]] = [
            OrderedDict() for _ in Priority
        ]
        self._closed = False
        self.workers = workers
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}_{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(
        self,
        fn: Callable[[], T],
        *,
        priority: Priority = Priority.BATCH,
        key: Hashable | None = None,
        cancel: threading.Event | None = None,
    ) -> Future[T]:
        """Queue `fn`; its future resolves when a worker has run it. `key=None`: its own key."""
        future: Future[T] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the engine is closed")
            lane = self._queues[priority].setdefault(object() if key is None else key, deque())
            lane.append(_Step(fn, future, cancel))
            self._cond.notify()
        return future

    def waiting(self) -> dict[Priority, int]:
        """Steps queued per priority (for logs and benchmarks)."""
        with self._cond:
            return {p: sum(len(q) for q in self._queues[p].values()) for p in Priority}

    def close(self) -> None:
        """Stop taking work; queued steps are cancelled, running ones finish."""
        with self._cond:
            self._closed = True
            for queues in self._queues:
                for lane in queues.values():
                    for step in lane:
                        step.future.cancel()
                queues.clear()
            self._cond.notify_all()

    def _take(self) -> _Step | None:
        """The next step to run (blocking); None once closed."""
        with self._cond:
            while True:
                for queues in self._by_urgency():
                    while queues:
                        key, lane = next(iter(queues.items()))
                        step = lane.popleft()
                        if lane:
                            queues.move_to_end(key)  # round robin: this key goes last
                        else:
                            del queues[key]
                        if self._runnable(step):
                            return step
                if self._closed:
                    return None
                self._cond.wait()

    def _by_urgency(self) -> list[OrderedDict[Hashable, deque[_Step]]]:
        """The priority queues in the order to serve them: one whose next step has waited past
        `max_wait_s` first (the least urgent such, as it has the fewest other chances)."""
        if self.max_wait_s is None:
            return self._queues
        now = time.monotonic()
        for n in range(len(self._queues) - 1, 0, -1):
            queues = self._queues[n]
            if queues and now - next(iter(queues.values()))[0].queued_at > self.max_wait_s:
                return [queues, *self._queues[:n], *self._queues[n + 1:]]
        return self._queues

    @staticmethod
    def _runnable(step: _Step) -> bool:
        if step.cancel is not None and step.cancel.is_set():
            if step.future.set_running_or_notify_cancel():
                step.future.set_exception(SynthesisCancelled())
            return False
        return step.future.set_running_or_notify_cancel()

    def _work(self) -> None:
        while (step := self._take()) is not None:
            _current.cancel = step.cancel
            try:
                result = step.fn()
            except BaseException as exc:  # handed to whoever waits on the step
                step.future.set_exception(exc)
            else:
                step.future.set_result(result)
            finally:
                _current.cancel = None


async def drive(
    scheduler: FairScheduler,
    steps: Generator[T, None, None],
    cancel: threading.Event,
    *,
    priority: Priority,
    key: Hashable | None,
    on_wait: Callable[[bool], None] | None = None,
) -> AsyncIterator[T]:
    """What `steps` yields, each `next()` run as one scheduled step; leaving early (or being
    cancelled) sets `cancel`, which stops the step running now at its next layer. `on_wait` is
    called on the caller's event loop with True when a step is queued and False when it starts
    running, so a caller can stop its clock while others' work goes first."""
    done = object()
    key = object() if key is None else key
    finished = False
    loop = asyncio.get_running_loop()

    def run() -> Any:
        if on_wait is not None:
            loop.call_soon_threadsafe(on_wait, False)
        return next(steps, done)

    try:
        while True:
            if on_wait is not None:
                on_wait(True)
            step = scheduler.submit(run, priority=priority, key=key, cancel=cancel)
            item = await asyncio.wrap_future(step)
            if item is done:
                finished = True
                return
            yield item
    finally:
        if not finished:
            cancel.set()
        # ValueError: still running on a worker; `cancel` ends it there.
        with contextlib.suppress(ValueError):
            steps.close()
