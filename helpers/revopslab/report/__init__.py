"""The RevOps health report: parameters, words, data, sections, rules and the papermill runner.

A small package along its concerns:

* :mod:`~revopslab.report.params`: one declarative spec (:data:`SPEC`) drives validation,
  the CLI options, the grid keys and the notebook's parameters cell;
* :mod:`~revopslab.report.text`: headings and sentences in English and Japanese, bound to
  the language once (:func:`text_for`);
* :mod:`~revopslab.report.data`: the data (a simulated company or CRM export), scope, period;
* :mod:`~revopslab.report.sections`: thin functions that call ``metrics``, ``process`` and
  ``forecast`` (every number of the report has its one home there);
* :mod:`~revopslab.report.rules`: the recommendation rules;
* :mod:`~revopslab.report.runner`: papermill, nbconvert and batches (host side only).

The charts are in :mod:`revopslab.plots`.
"""

from __future__ import annotations

from ..vocabulary import SEGMENTS
from . import data, params, rules, runner, sections, text
from .data import (
    ReportData,
    export_notes,
    load_source,
    period_label,
    prepare,
    read_quotas,
    resolve_period,
)
from .params import (
    DEFAULT_PARAMETERS,
    MAPPINGS,
    PROFILES,
    SPEC,
    Parameter,
    ReportParameterError,
    check_parameters,
    injected_parameters,
    parameters_cell,
)
from .rules import BENCHMARKS, Findings, Recommendation, findings, recommendations
from .runner import (
    NOTEBOOK,
    GridResult,
    GridRun,
    ReportError,
    ReportResult,
    read_grid,
    render_html,
    run_grid,
    run_report,
)
from .sections import (
    BREAKDOWNS,
    OpportunitySummary,
    bottleneck_table,
    bowtie_counts,
    close_date_pushes,
    cohort_retention,
    conversion_table,
    coverage,
    data_health,
    forecast_backtest,
    kpis,
    next_quarter,
    opportunity_summary,
    performance,
    pipeline_forecast,
    quarantine_summary,
    quota_attainment,
    retention_summary,
    waterfall_counts,
)
from .text import (
    NEEDS,
    Prose,
    Table,
    Text,
    chart_message,
    format_value,
    heading,
    mask_text,
    md_literal,
    needs_data,
    numbered,
    omitted,
    pick,
    relabel,
    say,
    scope_name,
    show,
    step_label,
    term,
    text_for,
    translate_legend,
    view,
)

__all__ = [
    "NOTEBOOK", "SPEC", "Parameter", "DEFAULT_PARAMETERS", "PROFILES", "SEGMENTS", "MAPPINGS",
    "BENCHMARKS", "BREAKDOWNS", "NEEDS", "needs_data", "scope_name", "ReportParameterError",
    "ReportError", "ReportData",
    "OpportunitySummary", "Findings", "Recommendation", "ReportResult", "GridRun", "GridResult",
    "Prose", "Table", "Text", "text_for", "show", "chart_message", "check_parameters",
    "injected_parameters",
    "parameters_cell", "prepare", "load_source", "read_quotas", "resolve_period", "period_label",
    "heading", "say", "pick", "numbered", "omitted", "view", "relabel", "term",
    "translate_legend", "md_literal", "mask_text", "waterfall_counts", "bowtie_counts",
    "conversion_table", "bottleneck_table", "retention_summary", "cohort_retention",
    "forecast_backtest", "opportunity_summary", "performance", "quota_attainment",
    "next_quarter", "pipeline_forecast", "coverage", "close_date_pushes", "data_health", "kpis",
    "quarantine_summary", "export_notes", "findings", "recommendations", "cohort_heatmap",
    "forecast_vs_actual", "monthly_bookings", "step_label", "format_value", "render_html",
    "run_report", "read_grid", "run_grid", "data", "params", "rules", "runner", "sections",
    "text",
]

_CHARTS = ("cohort_heatmap", "forecast_vs_actual", "monthly_bookings")


def __getattr__(name: str):
    """The report's charts, which live in :mod:`revopslab.plots` (imported on first use)."""
    if name in _CHARTS:
        from .. import plots

        return getattr(plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
