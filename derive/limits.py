"""What one run of derive may cost, and the guards that enforce it.

    from derive import Limits, solve
    solution = solve("exam.spec", limits=Limits(time=30, output_chars=200_000))

A `Limits` is a frozen value passed to `derive.solve` / `derive.derive` (the CLI builds
one from its flags); nothing here is a module setting.  Most hostile input is refused by
static checks where it is read (syntax.py for size and nesting, model/values.py and
model/operators.py for tensor sizes, powers and big numbers, `check_count` below for iteration counts such as
`steps =`).  The rest is bounded while the run goes:

* time: `running(limits)` starts the run's clock (a deadline in a `ContextVar`, so each
  thread, and each run, has its own); `check()`, called in the loops that can run long
  (evaluation, expansion, the checks of each step, parsing), raises `LimitError` once the
  budget is spent, and keeps raising it, so a fallback that swallowed one error meets the
  next.  A watchdog thread per run is the backstop for code that never reaches a check
  (see `_Run`).  No signal, nothing process-wide: it works in any thread and leaves the
  host's own alarms, handlers and limits alone.
* size: `check_output(text, what)` refuses an answer or step that prints longer than
  `output_chars` characters.
* memory: a `MemoryError` anywhere in a run is reported as a `LimitError`.  Capping the
  address space (`cap_memory`) changes the whole process, so only the `derive` command,
  run as its own process, does it (and `restore_memory` undoes it).

None of this changes the output of a spec that stays within the limits: same spec,
same bytes.
"""
from __future__ import annotations

import contextlib
import contextvars
import math
import os
import re
import time
from typing import Any, Iterator

from .errors import LimitError, Pos, SpecError
from .records import record

try:   # imported now: under a memory cap even an import can be refused
    import resource
except ImportError:   # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]

COUNT_KWARGS = ("steps", "epochs", "iterations", "iters")


@record
class Limits:
    """The budget of one run.  `time`: seconds for the whole run (parse, build and every
    goal), None for none; `memory`: megabytes of address space, applied only by the CLI
    process (None: no cap); the others are sizes: bytes of a spec with its includes,
    include nesting and count, iteration counts (`steps =`), characters of one printed
    answer or step, and what the model computes exactly (derive.model.values): entries
    of one explicit tensor and of one built by a rule (`matrix(n, m, (i, j) -> ...)`),
    multiply-adds of one matrix product, bits of the largest integer in a result and
    the |exponent| of a power."""
    time: float | None = None
    memory: int | None = None
    spec_bytes: int = 1_000_000
    include_depth: int = 20
    includes: int = 200
    count: int = 10_000
    output_chars: int = 1_000_000
    entries: int = 20_000          # ≈141×141: exact arithmetic is slow
    rule_entries: int = 10_000
    matmul: int = 1_000_000
    number_bits: int = 14_000      # ≈ 4,200 digits: Python prints integers of at most 4,300 digits
    exponent: int = 10_000

    def __post_init__(self) -> None:
        if self.time is not None and not (isinstance(self.time, (int, float)) and math.isfinite(self.time)
                                          and 0 < self.time <= MAX_SECONDS):
            raise ValueError(f"Limits.time must be a number of seconds in (0, {MAX_SECONDS:g}] or None, "
                             f"not {self.time!r}")
        if self.memory is not None and not (isinstance(self.memory, int) and self.memory > 0):
            raise ValueError(f"Limits.memory must be a positive number of megabytes or None, not {self.memory!r}")
        for name in ("spec_bytes", "include_depth", "includes", "count", "output_chars", "entries",
                     "rule_entries", "matmul", "number_bits", "exponent"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
                raise ValueError(f"Limits.{name} must be a positive whole number, not {value!r}")
        if self.number_bits > MAX_NUMBER_BITS:
            raise ValueError(f"Limits.number_bits must be at most {MAX_NUMBER_BITS:,} (every format prints "
                             f"numbers in full, and Python prints at most 4,300 digits), not {self.number_bits!r}")


MAX_SECONDS = 7 * 24 * 3600      # a week: longer budgets are a typo (or `inf`)
MAX_NUMBER_BITS = 14_000         # the largest integers every format can still print
DEFAULT = Limits()


class _Overtime(LimitError):
    """Raised into a run's thread by its watchdog (see `_Run`); turned into the LimitError
    of `check()` where the run catches it."""

    def __init__(self, *args: Any):
        super().__init__("the run took longer than its time budget; derive stopped it")


class _Run:
    """The limits of the run in progress in this context, its deadline, and its watchdog.

    The cooperative `check()` stops almost every overrun.  The watchdog is the backstop
    for code that never reaches a check (one long sympy call, a deriver's own loop): when
    the run is still inside an `interruptible()` block `grace()` seconds after the deadline,
    it raises `_Overtime` asynchronously in the run's own thread (CPython's
    PyThreadState_SetAsyncExc: no signal, any thread, nothing else in the process
    touched), again every half second in case a broad `except` swallowed it.  Entering or
    leaving such a block is done under a lock, and leaving cancels an exception not yet
    delivered, so it can never land outside the block (in the host's code).  One watchdog
    thread serves every run of the process (`_Watchdog`): a run costs no thread of its own,
    which a grader that checks thousands of answers a second under a time limit needs."""
    __slots__ = ("limits", "deadline", "expired", "armed", "lock", "thread", "done", "_sent")

    def __init__(self, limits: Limits):
        import threading
        self.limits = limits
        self.deadline = time.monotonic() + limits.time if limits.time else math.inf
        self.expired = False
        self.armed = False
        self.lock = threading.Lock()
        self.thread = threading.get_ident()
        self.done = False
        self._sent = False             # whether the watchdog has raised in the thread
        if limits.time and _set_async_exc() is not None:
            self.done = not _WATCHDOG.watch(self, self.deadline + grace(limits.time))

    def fire(self) -> bool:
        """The watchdog's call once the deadline and its grace have passed: interrupt the
        run if it is inside an interruptible block.  Whether to call again (not done)."""
        with self.lock:
            if self.done:
                return False
            if self.armed:
                self.expired = True
                self._sent = True
                _set_async_exc()(self.thread, _Overtime)
            return True

    def disarm(self) -> None:
        """Leave the interruptible block: no watchdog exception after this returns."""
        with self.lock:
            self.armed = False
            if self._sent:      # only then can one be pending; clearing when none is makes
                self._sent = False  # CPython 3.11 spin in a profiled generator (cProfile, coverage)
                _set_async_exc()(self.thread, None)

    def finish(self) -> None:
        with self.lock:
            self.done = True


class _Watchdog:
    """The process's one watchdog thread (started on first use, again in a forked child):
    a heap of (when, run) that it wakes for, calling `run.fire()` at `when` and every
    half second after until the run is done.  Finished runs are dropped as they come up,
    or all at once when the heap has doubled since it was last swept."""

    def __init__(self) -> None:
        import threading
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, _Run]] = []
        self._seq = 0
        self._sweep_at = 64
        self._thread: Any = None

    def watch(self, run: _Run, when: float) -> bool:
        """Call `run.fire()` from `when` (a time.monotonic() value) on; False when no
        thread can be started (no memory for its stack: the cooperative checks remain)."""
        import heapq
        import threading
        with self._cond:
            if len(self._heap) >= self._sweep_at:
                self._heap = [item for item in self._heap if not item[2].done]
                heapq.heapify(self._heap)
                self._sweep_at = 2 * len(self._heap) + 64
            if self._thread is None or not self._thread.is_alive():
                try:   # (it waits for the lock held here before it looks at the heap)
                    self._thread = threading.Thread(target=self._loop, name="derive-time-limit", daemon=True)
                    self._thread.start()
                except RuntimeError:
                    self._thread = None
                    return False
            self._seq += 1
            heapq.heappush(self._heap, (when, self._seq, run))
            if self._heap[0][2] is run:    # (else the thread's wait ends before this run is due: no wake-up,
                self._cond.notify()         # which at thousands of runs a second cost a thread switch each)
        return True

    def _loop(self) -> None:
        import heapq
        with self._cond:
            while True:
                if not self._heap:
                    self._cond.wait()
                    continue
                when, _, run = self._heap[0]
                delay = when - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                if run.fire():
                    self._seq += 1
                    heapq.heappush(self._heap, (time.monotonic() + 0.5, self._seq, run))

    def forget(self) -> None:
        """In a forked child: the parent's thread and lock are not this process's."""
        self.__init__()  # type: ignore[misc]


_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WATCHDOG.forget)


GRACE = 1.0       # seconds past the deadline before the watchdog interrupts
MAX_GRACE = 5.0   # at most: a tenth of a 580 s budget let a run overrun by a minute


def grace(seconds: float) -> float:
    """How long past a budget of `seconds` the watchdog waits for a cooperative check to
    stop the run: a tenth of the budget, at least GRACE and at most MAX_GRACE seconds."""
    return min(max(GRACE, 0.1 * seconds), MAX_GRACE)


def _set_async_exc():
    """CPython's PyThreadState_SetAsyncExc as (thread id, exception class or None) -> None,
    or None where it does not exist (another Python: the cooperative checks still work)."""
    global _ASYNC
    if _ASYNC is False:
        try:
            import ctypes
            fn = ctypes.pythonapi.PyThreadState_SetAsyncExc
            fn.argtypes = (ctypes.c_ulong, ctypes.py_object)
            fn.restype = ctypes.c_int

            def raise_in(thread: int, exc: type | None) -> None:
                fn(thread, exc) if exc is not None else fn(thread, ctypes.py_object())
            _ASYNC = raise_in
        except (ImportError, AttributeError):   # pragma: no cover - not CPython
            _ASYNC = None
    return _ASYNC


_ASYNC: Any = False
_RUN: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("derive_run", default=None)


@contextlib.contextmanager
def running(limits: Limits | None) -> Iterator[Limits]:
    """Run the block under `limits` (a run already in progress keeps its own clock)."""
    if _RUN.get() is not None:
        yield _RUN.get().limits
        return
    run = _Run(limits or DEFAULT)
    token = _RUN.set(run)
    try:
        yield run.limits
    finally:
        run.finish()
        _RUN.reset(token)


@contextlib.contextmanager
def interruptible(pos: Pos | None = None) -> Iterator[None]:
    """A block that the run's watchdog may stop (see `_Run`); its `_Overtime` comes out
    as the LimitError of `check()`."""
    run = _RUN.get()
    if run is None or run.armed or run.done or not run.limits.time or _set_async_exc() is None:
        yield
        return
    with run.lock:
        run.armed = True
    try:
        try:
            yield
        finally:
            _disarm(run)
    except _Overtime:
        check(pos)
        raise


def _disarm(run: _Run) -> None:
    while True:
        try:
            run.disarm()
            return
        except _Overtime:    # delivered before disarm() ended: the block is over anyway, again
            pass


def current() -> Limits:
    """The limits of the run in progress (the defaults outside one)."""
    run = _RUN.get()
    return run.limits if run is not None else DEFAULT


def check(pos: Pos | None = None) -> None:
    """Raise `LimitError` (at `pos`, if given) once the run's time budget is spent."""
    run = _RUN.get()
    if run is not None and (run.expired or time.monotonic() > run.deadline):
        run.expired = True
        raise LimitError(f"the run took longer than its {run.limits.time:g} s budget; derive stopped here "
                         "(the CLI's --time-limit, or Limits(time=...), sets it)", pos)


def expired() -> bool:
    """Whether the run's time budget is spent (without raising)."""
    run = _RUN.get()
    return run is not None and (run.expired or time.monotonic() > run.deadline)


def check_output(text: str, what: str, pos: Pos | None = None) -> str:
    """`text` unchanged, or a `LimitError` if it is longer than `Limits.output_chars`."""
    cap = current().output_chars
    if len(text) > cap:
        raise LimitError(f"{what} prints as {len(text):,} characters, more than derive writes for one "
                         f"answer or step ({cap:,}; Limits(output_chars=...) sets it)", pos)
    return text


def check_count(value: Any, name: str, pos: Pos | None, limit: int | None = None) -> int:
    """`value` as an iteration count 1..limit, or a SpecError / LimitError at `pos`."""
    import sympy as sp
    limit = current().count if limit is None else limit
    v = value
    if isinstance(v, sp.MatrixBase) and v.shape == (1, 1):
        v = v[0, 0]
    if not (isinstance(v, (int, sp.Integer)) and not isinstance(v, bool)):
        raise SpecError(f"`{name}` must be a positive whole number, not {v}", pos)
    if int(v) < 1:
        raise SpecError(f"`{name}` must be a positive whole number (at least 1), not {v}", pos)
    if int(v) > limit:
        raise LimitError(f"`{name} = {v}` is more than derive will show step by step (at most {limit:,})", pos)
    return int(v)


_NO_EXCEPTION_SET = re.compile(r"without (setting an exception|exception set)")


def out_of_memory(exc: BaseException, capped: bool | None = None) -> bool:
    """Whether `exc` means memory ran out: a MemoryError, or a C extension that the loader
    could not map under a memory cap (an ImportError), itself or wrapped by a library (lark's
    VisitError keeps it as `orig_exc`) or as the cause of another error.  With `capped` (the
    process ran under a cap on its address space; None: whether it runs under one now), also
    CPython's SystemError for a C function that failed without setting an exception, which is
    what an allocation refused inside C code can give."""
    if capped is None:
        capped = _address_space_capped()
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, MemoryError) or (isinstance(exc, ImportError) and "failed to map segment" in str(exc)):
            return True
        if capped and isinstance(exc, SystemError) and _NO_EXCEPTION_SET.search(str(exc)):
            return True
        exc = getattr(exc, "orig_exc", None) or exc.__cause__ or exc.__context__
    return False


def _address_space_capped() -> bool:
    """Whether this process runs under a soft limit on its address space (RLIMIT_AS)."""
    try:
        return resource is not None and resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY
    except (ValueError, OSError):   # pragma: no cover
        return False


def cap_memory(megabytes: int | None) -> tuple[int, int] | None:
    """Cap this process's address space (RLIMIT_AS) at `megabytes`; the previous limits,
    for `restore_memory`, or None when nothing was changed.  For the CLI process only."""
    if not megabytes or megabytes <= 0:
        return None
    if resource is None:   # pragma: no cover - not POSIX
        return None
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = megabytes * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft == resource.RLIM_INFINITY or cap < soft:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
            return soft, hard
    except (ValueError, OSError):   # pragma: no cover - a platform that refuses
        pass
    return None


def restore_memory(previous: tuple[int, int] | None) -> None:
    """Undo `cap_memory` (the soft limit goes back; the hard one was never lowered)."""
    if previous is None or resource is None:
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, previous)
    except (ValueError, OSError):   # pragma: no cover
        pass
