"""What one run of derive may cost, and the guards that enforce it.

Most hostile input is refused by static checks where it is read (see syntax.py for
size and nesting, model/expressions.py for tensor sizes, powers and big numbers, and
`check_count` below for iteration counts such as `steps =`).  Two guards catch the rest:

* `time_limit(seconds, what)`: a wall-clock budget (SIGALRM, main thread on POSIX only;
  elsewhere it does nothing) that raises `LimitError` when exceeded.  `GOAL_SECONDS` is
  the budget of one goal (`derive_goal` applies it; None means no limit, the library's
  default); the CLI sets it from `--time-limit`.
* `memory_limit(megabytes)`: caps the process's address space (RLIMIT_AS), so that a
  runaway computation raises MemoryError, reported as a LimitError, instead of
  exhausting the machine.  Only the CLI calls it.

Neither affects the output of a spec that stays within them: same spec, same bytes.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

from .errors import LimitError, Pos, SpecError

GOAL_SECONDS: float | None = None
MAX_COUNT = 10_000       # iterations a goal may be asked for (`steps =`, `epochs =`)
COUNT_KWARGS = ("steps", "epochs", "iterations", "iters")


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise LimitError in the block if it runs longer than `seconds` (re-raised every
    half second should code in between swallow it)."""
    import signal
    if not seconds or seconds <= 0 or not hasattr(signal, "setitimer") \
            or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise LimitError(f"{what} took longer than {seconds:g} s; derive stopped it "
                         "(the CLI's --time-limit sets the budget)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def memory_limit(megabytes: int | None) -> None:
    """Cap this process's address space at `megabytes` (no-op where unsupported)."""
    if not megabytes or megabytes <= 0:
        return
    try:
        import resource
    except ImportError:   # pragma: no cover - not POSIX
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = megabytes * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft == resource.RLIM_INFINITY or cap < soft:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):   # pragma: no cover - a platform that refuses
        pass


def check_count(value: Any, name: str, pos: Pos | None, limit: int = MAX_COUNT) -> int:
    """`value` as an iteration count 1..limit, or a SpecError / LimitError at `pos`."""
    import sympy as sp
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
