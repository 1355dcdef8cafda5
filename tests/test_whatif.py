"""What-if cells: static in test runs, widgets in a live session."""

from __future__ import annotations

import ipywidgets
import pytest

from revopslab import whatif
from revopslab.whatif import Choice, Slider, what_if


def test_static_run_calls_once_with_the_defaults(monkeypatch):
    monkeypatch.setenv(whatif.STATIC_ENV, "1")
    calls = []
    result = what_if(lambda rate, org: calls.append((rate, org)) or "drawn",
                     rate=Slider(0.0, 1.0, 0.1, value=0.3), org=Choice(("a", "b"), value="b"))
    assert result == "drawn" and calls == [(0.3, "b")]


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_live_session_builds_widgets_with_the_defaults(monkeypatch, value):
    monkeypatch.setenv(whatif.STATIC_ENV, value)
    calls = []
    shown = what_if(lambda rate, org: calls.append((rate, org)),
                    rate=Slider(0.0, 1.0, 0.1, value=0.3, label="rate"),
                    org=Choice(("a", "b"), value="b"))
    assert isinstance(shown, ipywidgets.interactive)
    slider, dropdown = shown.children[:2]
    assert (slider.value, slider.min, slider.max, dropdown.value) == (0.3, 0.0, 1.0, "b")
    assert calls[-1] == (0.3, "b")  # the first draw uses the defaults
    slider.value = 0.7
    assert calls[-1] == (0.7, "b")


def test_bad_controls_are_refused():
    with pytest.raises(ValueError, match="Choice value must be one of"):
        Choice(("a", "b"), value="c")
    with pytest.raises(TypeError, match="function must be callable"):
        what_if(3)


def test_slider_readout_follows_the_chart_title_format(monkeypatch):
    monkeypatch.setenv(whatif.STATIC_ENV, "0")
    shown = what_if(lambda growth: None,
                    growth=Slider(0.0, 0.04, 0.005, value=0.015, format=".1%"))
    slider = shown.children[0]
    assert slider.readout_format == ".1%"
    assert Slider(0.0, 0.04, 0.005, value=0.015, format=".1%").readout(0.015) == "1.5%"
    assert f"{0.015:.1%}" == "1.5%"  # the chart titles' format reads the same
    assert Slider(0.0, 1.0, 0.1, value=0.3).readout(0.3) == "0.30"


@pytest.mark.parametrize("bad", ["%", "{:.1%}", ".1e", "", 3])
def test_slider_refuses_a_readout_format_the_widget_cannot_read(bad):
    with pytest.raises(ValueError, match="Slider format must look like"):
        Slider(0.0, 1.0, 0.1, value=0.3, format=bad)
