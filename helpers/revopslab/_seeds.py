"""The one check of a list of seeds, shared by every experiment over seeds."""

from __future__ import annotations

import numbers
from typing import Any

from .vocabulary import DEFAULT_SEED

__all__ = ["check_seeds"]


def check_seeds(seeds: Any) -> list[int]:
    """``seeds`` as a list of distinct non-negative ints, or an error naming what was passed.

    Examples
    --------
    >>> check_seeds(range(3))
    [0, 1, 2]
    >>> check_seeds(7)
    Traceback (most recent call last):
    ...
    TypeError: seeds must be a list of int seeds such as range(2024, 2027), got 7
    >>> check_seeds([1, 1])
    Traceback (most recent call last):
    ...
    ValueError: seeds must be distinct non-negative ints (at least one), got [1, 1]
    """
    example = f"range({DEFAULT_SEED}, {DEFAULT_SEED + 3})"
    if isinstance(seeds, numbers.Integral | str | bytes):
        raise TypeError(f"seeds must be a list of int seeds such as {example}, got {seeds!r}")
    try:
        values = list(seeds)
    except TypeError as err:
        raise TypeError(f"seeds must be a list of int seeds such as {example}, "
                        f"got {seeds!r}") from err
    bad = [s for s in values
           if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0]
    if not values or bad or len(set(values)) != len(values):
        raise ValueError(f"seeds must be distinct non-negative ints (at least one), got {values}")
    return [int(s) for s in values]
