"""Per-chapter helpers: each ``chNN`` module registers that notebook's exercises.

A chapter's checkers compare the learner's answer with a value computed from the
notebook's own company, which the notebook hands over with ``chNN.bind(company)``.
:class:`Binding` is that hand-over, shared by every chapter.
"""

from __future__ import annotations

from ..simulate import Company, simulate_company

__all__ = ["Binding"]


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
