"""What-if cells: move a lever with a slider in a live session, a fixed value in a test run.

A workshop group drags a slider and sees the consequence at once; the same cell run by
nbval, papermill or ``make execute`` calls the function once with the default values and
prints no widget state, so committed outputs stay deterministic. The switch is the
environment variable :data:`STATIC_ENV` (``REVOPSLAB_STATIC=1``), which the Makefile's
test targets and the test suite set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["STATIC_ENV", "Slider", "Choice", "is_static", "what_if"]

#: Environment variable that turns every what-if cell into one static call.
STATIC_ENV = "REVOPSLAB_STATIC"

# Readout formats Python's format() and the widgets' d3-format read the same way.
_READOUT = re.compile(r",?\.\d+[f%]")


@dataclass(frozen=True)
class Slider:
    """A numeric lever: ``low`` to ``high`` in ``step``, starting at ``value``.

    ``format`` is the readout's format, written like a Python format spec
    (``".1%"`` shows 0.015 as 1.5%, ``".0f"`` a whole number, ``".2f"`` by
    default): give it the format the chart title uses for the same value.

    Examples
    --------
    >>> Slider(0.0, 0.3, 0.01, value=0.05).value
    0.05
    >>> Slider(0.0, 0.04, 0.005, value=0.015, format=".1%").readout(0.015)
    '1.5%'
    >>> Slider(1, 0, 1, value=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Slider needs low < high, step > 0 and low <= value <= high; got low=1, ...
    """

    low: float
    high: float
    step: float
    value: float
    label: str = ""
    format: str = ".2f"

    def __post_init__(self) -> None:
        if not (self.low < self.high and self.step > 0 and self.low <= self.value <= self.high):
            raise ValueError("Slider needs low < high, step > 0 and low <= value <= high; got "
                             f"low={self.low}, high={self.high}, step={self.step}, "
                             f"value={self.value}")
        if not isinstance(self.format, str) or not _READOUT.fullmatch(self.format):
            raise ValueError("Slider format must look like '.1%', '.0f' or ',.0f' (a Python "
                             f"format spec that d3 also reads); got {self.format!r}")

    def readout(self, value: float) -> str:
        """``value`` as the slider's readout shows it."""
        return format(value, self.format)


@dataclass(frozen=True)
class Choice:
    """A lever with named options, starting at ``value``.

    Examples
    --------
    >>> Choice(("siloed", "aligned"), value="aligned").value
    'aligned'
    """

    options: Sequence[Any]
    value: Any
    label: str = ""

    def __post_init__(self) -> None:
        if self.value not in self.options:
            raise ValueError(f"Choice value must be one of {list(self.options)!r}, "
                             f"got {self.value!r}")


def is_static() -> bool:
    """True when what-if cells must not show widgets (tests, papermill, ``make execute``)."""
    return os.environ.get(STATIC_ENV, "").strip().lower() not in ("", "0", "false", "no")


def what_if(function: Callable[..., Any], /, **controls: Slider | Choice) -> Any:
    """Run ``function`` with the controls' values; in a live session, behind widgets.

    Parameters
    ----------
    function
        Called with one keyword argument per control; it should draw or print its
        result (a chart whose title states the message, or a sentence).
    **controls
        One :class:`Slider` or :class:`Choice` per keyword argument of ``function``.
        Let ``function`` return None (end a chart with ``plt.show()``) so a static run
        prints no object repr.

    Returns
    -------
    object
        In a static run, what ``function`` returned for the default values; in a live
        session, the ``ipywidgets`` interactive object (it displays itself).

    Examples
    --------
    >>> import os
    >>> os.environ[STATIC_ENV] = "1"
    >>> what_if(lambda discount: round(1 - discount, 2),
    ...         discount=Slider(0.0, 0.5, 0.05, value=0.1))
    0.9
    >>> what_if(lambda x: x, x=3)
    Traceback (most recent call last):
    ...
    TypeError: control 'x' must be a Slider or a Choice, got int
    """
    if not callable(function):
        raise TypeError(f"function must be callable, got {type(function).__name__}")
    for name, control in controls.items():
        if not isinstance(control, (Slider, Choice)):
            raise TypeError(f"control {name!r} must be a Slider or a Choice, "
                            f"got {type(control).__name__}")
    defaults = {name: control.value for name, control in controls.items()}
    if is_static():
        return function(**defaults)
    import ipywidgets as widgets

    made = {}
    for name, control in controls.items():
        description = control.label or name
        if isinstance(control, Slider):
            made[name] = widgets.FloatSlider(
                value=control.value, min=control.low, max=control.high, step=control.step,
                description=description, continuous_update=False,
                readout_format=control.format, style={"description_width": "initial"})
        else:
            made[name] = widgets.Dropdown(options=list(control.options), value=control.value,
                                          description=description,
                                          style={"description_width": "initial"})
    return widgets.interactive(function, **made)
