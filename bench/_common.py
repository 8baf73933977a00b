"""What every benchmark shares: failing loudly when what it measures did not happen, and
percentiles.

A benchmark raises :class:`NotMeasured` (or calls :func:`require`) where its subject did not
happen (no frame arrived, no vehicle was heard, no command went out, no sample was taken);
:func:`run` turns that into one line on stderr, ``<bench>: FAILED: <what>``, and exit status 1,
so that no figure is ever printed for something that was not measured.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn


class NotMeasured(Exception):
    """What the benchmark measures did not happen; the message says what."""


def require(condition: object, what: str) -> None:
    """Raise :class:`NotMeasured` with ``what`` (what did not happen) unless ``condition``."""
    if not condition:
        raise NotMeasured(what)


def fail(what: str) -> NoReturn:
    """Print ``<bench>: FAILED: <what>`` on stderr and exit with status 1."""
    print(f"{Path(sys.argv[0]).stem}: FAILED: {what}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def _first_not_measured(group: BaseExceptionGroup[BaseException]) -> NotMeasured | None:
    for exc in group.exceptions:
        if isinstance(exc, NotMeasured):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first_not_measured(exc)
            if found is not None:
                return found
    return None


def run(main: Callable[[], object]) -> None:
    """Call ``main``; a :class:`NotMeasured` raised anywhere in it (also from inside a task
    group) becomes the one-line failure and exit status 1."""
    try:
        main()
    except NotMeasured as exc:
        fail(str(exc))
    except BaseExceptionGroup as group:
        found = _first_not_measured(group)
        if found is None:
            raise
        fail(str(found))


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank ``pct`` percentile (0-100) of ``values``; they must not be empty."""
    require(values, "no samples to take a percentile of")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]
