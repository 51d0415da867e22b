"""The server's runs, shared as values: a run is set by its data and settings, so thirty visitors
cost one training. Sessions keep keys; finished runs are kept up to a size in bytes, least recently
used evicted (retrained on demand, the same network), with what panels derive from them."""

from __future__ import annotations

import contextlib
import gc
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from textclf.learn.config import TrainConfig
from textclf.learn.pipeline import Run
from textclf.learn.train import EpochRecord
from textclf.serve.memory import release_freed_memory
from textclf.serve.turns import Cancelled, Job, Turns

_NO_MEMORY = "This network does not fit in memory here: use fewer hidden units or words."
MAX_DERIVED = 64  # things derived from one run, the oldest dropped (computed again if asked)
GRACE = 2.0  # seconds a training runs on with nobody following (a page rerunning follows again)


@dataclass(frozen=True)
class RunKey:
    """What a run is: its settings and its data (None: the host's 20 Newsgroups; else a record
    of a person's file that names its bytes by their digest)."""

    config: TrainConfig
    data: object = None


# what a recipe gets: should_stop() between steps (it may block for the queue), on_epoch(record)
Recipe = Callable[[Callable[[], bool], Callable[[EpochRecord], None]], Run]


@dataclass(eq=False)
class Training:
    """One run of the store: waiting in the queue, training (its epochs so far), done, or failed
    with one sentence."""

    key: RunKey
    job: Job
    history: list[EpochRecord] = field(default_factory=list)
    run: Run | None = None
    error: str = ""
    limit_note: str = ""  # set when the time limit ended it early
    derived: dict = field(default_factory=dict)
    followers: int = 0
    unfollowed_at: float = 0.0
    ended: threading.Event = field(default_factory=threading.Event)  # done or failed, and kept
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _making: dict = field(default_factory=dict)  # name -> Event: derived values being made

    @property
    def state(self) -> str:
        if self.error:
            return "failed"
        if self.run is not None:
            return "done"
        return "training" if self.job.began else "queued"

    def wait(self, seconds: float) -> None:
        """Until something changes (an epoch, the end) or seconds pass."""
        with self._changed:
            if not self.ended.is_set():
                self._changed.wait(seconds)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def nbytes(self) -> int:
        return (0 if self.run is None else self.run.nbytes()) + sum(
            _nbytes(v)
            for v in list(self.derived.values())  # other threads may add meanwhile
        )


def _nbytes(value) -> int:
    """About what a derived value holds: its arrays, tables and bytes (in dicts, lists and
    dataclasses); Python's small objects are not counted."""
    if isinstance(value, (bytes, bytearray, str)):
        return len(value)
    if isinstance(getattr(value, "nbytes", None), int):  # numpy arrays, Arrow tables
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return sum(_nbytes(v) for v in vars(value).values())
    return 0


class RunStore:
    """Runs by key, trained once each in threads of their own, taking turns in turns."""

    def __init__(self, turns: Turns, max_bytes: int, run_seconds: float = 0):
        self.turns, self.max_bytes, self.run_seconds = turns, max_bytes, run_seconds
        self._trainings: OrderedDict[RunKey, Training] = OrderedDict()  # least recent first
        self._lock = threading.Lock()

    def request(self, key: RunKey, recipe: Recipe, seconds: float, need: int) -> Training:
        """The training of key: found (done or under way), else queued now."""
        with self._lock:
            found = self._trainings.get(key)
            if found is not None and found.state != "failed":
                self._trainings.move_to_end(key)
                return found
            training = self._trainings[key] = Training(key, Job(seconds, need))
            training.unfollowed_at = time.monotonic()
        threading.Thread(
            target=self._train, args=(training, recipe), name="textclf-training", daemon=True
        ).start()
        return training

    def get(self, key: RunKey) -> Training | None:
        """The training of key if the store holds it, marked as just used."""
        with self._lock:
            found = self._trainings.get(key)
            if found is not None:
                self._trainings.move_to_end(key)
            return found

    @contextlib.contextmanager
    def following(self, training: Training):
        """While a page waits for training: it goes on only while someone follows it."""
        with self._lock:
            training.followers += 1
        try:
            yield training
        finally:
            with self._lock:
                training.followers -= 1
                if not training.followers:
                    training.unfollowed_at = time.monotonic()

    def derived(self, training: Training, name, make: Callable[[], object]):
        """make(), computed once per run for every session; kept and evicted with the run. Two
        pages asking at once compute it once: the second waits for the first, and no lock is
        held while it is made (a traced step waits for its turn in the queue)."""
        while True:
            with training._changed:
                if name in training.derived:
                    return training.derived[name]
                making = training._making.get(name)
                mine = making is None
                if mine:
                    making = training._making[name] = threading.Event()
            if not mine:
                making.wait(1.0)  # then looks again: made, or the maker gave up
                continue
            try:
                value = make()
                with training._changed:
                    training.derived[name] = value
                    while len(training.derived) > MAX_DERIVED:  # texts typed in Try it, say
                        training.derived.pop(next(iter(training.derived)))
            finally:
                with training._changed:
                    training._making.pop(name, None)
                making.set()
            self.evict()
            return value

    def nbytes(self) -> int:
        with self._lock:
            return sum(t.nbytes() for t in self._trainings.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._trainings)

    def _abandoned(self, training: Training) -> bool:
        """Nobody has followed training for GRACE seconds: it leaves the store at once, so that
        whoever asks next starts it anew rather than joining a training about to stop."""
        with self._lock:
            if training.followers or time.monotonic() - training.unfollowed_at <= GRACE:
                return False
            if self._trainings.get(training.key) is training:
                del self._trainings[training.key]
            return True

    def _train(self, training: Training, recipe: Recipe) -> None:
        job = training.job

        def abandoned() -> bool:
            return self._abandoned(training)

        def should_stop() -> bool:
            if abandoned():
                return True
            if self.run_seconds and job.used > self.run_seconds:
                training.limit_note = (
                    f"stopped at this server's time limit ({self.run_seconds:,.0f} s) after "
                    f"{len(training.history)} epochs"
                )
                return True
            self.turns.checkpoint(job, give_up=abandoned)  # may wait for shorter work
            return False

        def on_epoch(record: EpochRecord) -> None:
            training.history.append(record)
            training._notify()

        try:
            self.turns.take(job, give_up=abandoned)
            run = recipe(should_stop, on_epoch)
            if run.stopped and not training.limit_note:
                raise Cancelled  # nobody followed it: the next visitor trains it whole
            if run.history[-1].epoch == 0:
                raise ValueError(
                    f"This run reached this server's time limit ({self.run_seconds:,.0f} s) "
                    "before its first epoch ended: lower the epochs or the hidden units, or "
                    "raise the batch size."
                )
            training.run = run
        except Cancelled:  # abandoned: it left the store then
            training.error = "Nobody followed this training, so it stopped."
        except ValueError as error:  # settings the data cannot train (pipeline.training_problems)
            training.error = str(error)
        except MemoryError:
            training.error = _NO_MEMORY
        except Exception as error:  # noqa: BLE001 - a follower must hear of it, not hang
            if "memory" in str(error).lower():  # torch's allocator says it in a RuntimeError
                training.error = _NO_MEMORY
            else:
                training.error = f"This training failed: {type(error).__name__}."
                traceback.print_exc()
        finally:
            try:
                self.turns.leave(job)
                release_freed_memory()  # the optimiser's state and the training's temporaries
                with self._lock:  # the run just made is the most recent, not the one to evict
                    if self._trainings.get(training.key) is training:
                        self._trainings.move_to_end(training.key)
                self.evict()  # the store as it will be, before anyone is told
            finally:
                training.ended.set()
                training._notify()

    def evict(self) -> None:
        """Drops the least recently used finished runs while the store holds over max_bytes;
        never the last one asked for, nor one under way. What it dropped is collected at once
        (a network's modules hold reference cycles), so that its memory leaves the process."""
        dropped = 0
        with self._lock:
            for key in [k for k, t in list(self._trainings.items())[:-1] if t.error]:
                del self._trainings[key]  # its followers have their sentence
            done = [t for t in self._trainings.values() if t.run is not None]
            total = sum(t.nbytes() for t in done)
            for training in done[:-1]:
                if total <= self.max_bytes:
                    break
                total -= training.nbytes()
                del self._trainings[training.key]
                dropped += 1
        if dropped:
            gc.collect()
            release_freed_memory()
