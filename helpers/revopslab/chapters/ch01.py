"""Exercises of notebook 01 (silos), checked against the company the notebook binds."""

from __future__ import annotations

import dataclasses
import json

from ..config import ORG_PRESETS
from ..exercises import Checker, Exercise, expect_choice, expect_number, register
from ..simulate import simulate_company
from . import Binding

__all__ = ["bind", "EXERCISES", "SILO_LEVERS", "REVOPS_ROLES"]

_binding = Binding()
#: Make the exercises check answers against the notebook's company (see :class:`Binding`).
bind = _binding.bind
_company = _binding.company

#: The siloed preset's levers, one per cost of silos the chapter names.
SILO_LEVERS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ORG_PRESETS["siloed"]))
#: The four roles of RevOps (chapter 1).
REVOPS_ROLES: tuple[str, ...] = ("operations management", "revenue enablement",
                                 "RevTech management", "data management and insights")


def _revenue(config, seed) -> float:
    return float(simulate_company(config, rng=seed).mrr["mrr"].sum())


_CACHE: dict[tuple[str, str, int | None], object] = {}


def _cached(what: str, config, seed, compute):
    """Each checker's experiment runs once per company (a config is not hashable)."""
    key = (what, json.dumps(config.to_dict(), sort_keys=True, default=str), seed)
    if key not in _CACHE:
        _CACHE[key] = compute(config, seed)
    return _CACHE[key]


def _siloed_revenue_change_of(config, seed) -> float:
    aligned = _revenue(dataclasses.replace(config, org_model="aligned"), seed)
    siloed = _revenue(dataclasses.replace(config, org_model="siloed"), seed)
    return (siloed - aligned) / aligned


def _siloed_revenue_change() -> float:
    company = _company()
    return _cached("change", company.config, company.seed, _siloed_revenue_change_of)


def _costliest_lever_of(config, seed) -> str:
    aligned = dataclasses.replace(config, org_model="aligned")
    siloed = ORG_PRESETS["siloed"]
    revenue = {lever: _revenue(dataclasses.replace(aligned, **{lever: getattr(siloed, lever)}),
                               seed) for lever in SILO_LEVERS}
    return min(revenue, key=revenue.get)


def _check_costliest_lever(answer) -> str | None:
    company = _company()
    correct = _cached("lever", company.config, company.seed, _costliest_lever_of)
    return expect_choice(correct, options=SILO_LEVERS)(answer)


EXERCISES = (
    Exercise(
        "01.1",
        "Run the notebook's company siloed and aligned with the same seed: what is "
        "(siloed − aligned) / aligned of its total revenue (sum of MRR)?",
        expect_number(_siloed_revenue_change, rel_tol=0.01, abs_tol=1e-4,
                      name="your relative change"),
        hint="dataclasses.replace(company.config, org_model='siloed') gives the siloed config; "
             "simulate both with rng=company.seed and sum each company's mrr['mrr']. The "
             "answer is a fraction (negative if siloed earns less).",
        solution="import dataclasses\n"
                 "def revenue(org):\n"
                 "    cfg = dataclasses.replace(company.config, org_model=org)\n"
                 "    return simulate_company(cfg, rng=company.seed).mrr['mrr'].sum()\n"
                 "answer = (revenue('siloed') - revenue('aligned')) / revenue('aligned')",
    ),
    Exercise(
        "01.2",
        "Which single lever of the siloed preset, moved alone from the aligned company, "
        "costs the notebook's company the most revenue?",
        Checker(_check_costliest_lever, expects=f"one of {list(SILO_LEVERS)}"),
        hint="Start from dataclasses.replace(company.config, org_model='aligned'), set one "
             "lever at a time to ORG_PRESETS['siloed']'s value (e.g. "
             "handoff_delay_days=3.0), simulate with rng=company.seed and compare revenue.",
        solution="import dataclasses\n"
                 "from revopslab.config import ORG_PRESETS\n"
                 "aligned = dataclasses.replace(company.config, org_model='aligned')\n"
                 "siloed = ORG_PRESETS['siloed']\n"
                 "revenue = {}\n"
                 "for lever in ch01.SILO_LEVERS:\n"
                 "    cfg = dataclasses.replace(aligned, **{lever: getattr(siloed, lever)})\n"
                 "    revenue[lever] = simulate_company(cfg, rng=company.seed).mrr['mrr'].sum()\n"
                 "answer = min(revenue, key=revenue.get)",
    ),
    Exercise(
        "01.3",
        "Which of the four RevOps roles owns the unbiased pipeline report the CRO reads "
        "every Monday?",
        expect_choice(
            "data management and insights", options=REVOPS_ROLES,
            feedback={
                "operations management": "operations management designs the process and "
                                         "allocates resources; who collects, cleans and "
                                         "reports the data?",
                "revenue enablement": "enablement trains and equips the field; the report "
                                      "is about data.",
                "RevTech management": "RevTech runs the tools that hold the data; the "
                                      "report's content is another role's job.",
            }),
        hint="The four roles: operations management, revenue enablement, RevTech "
             "management, data management and insights. Which one collects, cleans, "
             "analyses and reports data without a department's bias?",
        solution="answer = 'data management and insights'",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
