"""Per-chapter helpers: each ``chNN`` module registers that notebook's exercises.

A chapter's checkers compare the learner's answer with a value computed from the
notebook's own company, which the notebook hands over with ``chNN.bind(company)``.
:class:`Binding` is that hand-over, shared by every chapter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..simulate import Company, simulate_company

__all__ = ["Binding", "EXPERIMENT_SEEDS", "experiment_seeds", "small_config"]

#: How many seeds the exercises' small experiments run (seed, seed + 1, ...).
EXPERIMENT_SEEDS = 5


def experiment_seeds(company: Company) -> list[int]:
    """The seeds of an exercise's experiment: the company's seed and the next four.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> experiment_seeds(SimpleNamespace(seed=2024))
    [2024, 2025, 2026, 2027, 2028]
    """
    return list(range(company.seed, company.seed + EXPERIMENT_SEEDS))


def small_config(company: Company, **changes: Any):
    """The company's config at a quarter of its size over 24 months, with ``changes``.

    The exercises' experiments run on it, so that five seeds take seconds.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from revopslab.config import company_profile
    >>> small = small_config(SimpleNamespace(config=company_profile("default")), flywheel=False)
    >>> small.scale, small.months, small.flywheel
    (0.25, 24, False)
    """
    return dataclasses.replace(company.config, scale=0.25, months=24, **changes)


class Binding:
    """The company a chapter's exercises check answers against.

    Without a bound company the checkers use the default simulated company.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> binding = Binding()
    >>> small = simulate_company(CompanyConfig(months=6, scale=0.1), rng=1)
    >>> binding.bind(small) is small, binding.company() is small
    (True, True)
    """

    def __init__(self) -> None:
        self._company: Company | None = None
        self._memo: dict[tuple[str, int], tuple[Company, Any]] = {}

    def bind(self, company: Company) -> Company:
        """Make the exercises check answers against ``company``; return it unchanged."""
        if not isinstance(company, Company):
            raise TypeError(
                f"company must be a revopslab Company, got {type(company).__name__}")
        self._company = company
        return company

    def company(self) -> Company:
        """The bound company (the default simulated company until one is bound)."""
        if self._company is None:
            self._company = simulate_company()
        return self._company

    def memo(self, what: str, compute: Callable[[Company], Any]) -> Any:
        """``compute(company)`` for the bound company, computed once per company and ``what``."""
        company = self.company()
        key = (what, id(company))
        cached = self._memo.get(key)
        if cached is None or cached[0] is not company:
            cached = (company, compute(company))
            self._memo[key] = cached
        return cached[1]
