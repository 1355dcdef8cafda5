"""Reading 1,000,000-row exports shaped like real ones (issue 15), in a fresh process each.

* a HubSpot API export: ISO 8601 timestamps with milliseconds and ``Z`` (about a million
  distinct values per date column), one open deal in ten without an amount, a custom stage;
* a European export: ``;``-separated, decimal commas, ``31.03.2025`` dates.

Run with ``make bench``; skipped otherwise. Goal: each read in under 10 s and 4 GB.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from ._measure import run_measured

ROWS = 1_000_000
GOAL_SECONDS = 10.0
GOAL_MB = 4 * 1024

_READ = textwrap.dedent("""
    import json, resource, sys, time
    from revopslab.crm import read_crm_export

    t0 = time.perf_counter()
    export = read_crm_export(sys.argv[1], mapping=sys.argv[2], quarantine=sys.argv[3])
    out = {"read_s": time.perf_counter() - t0, "kept": export.source.rows_kept,
           "missing_amounts": export.source.missing_amounts}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["peak_rss_mb"] = rss / 2**20 if sys.platform == "darwin" else rss / 2**10
    print(json.dumps(out))
""")


def _timestamps(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    start = np.datetime64("2023-01-01T00:00:00", "ms")
    created = start + rng.integers(0, 3 * 365 * 86_400_000, ROWS).astype("timedelta64[ms]")
    close = created + rng.integers(7 * 86_400_000, 180 * 86_400_000,
                                   ROWS).astype("timedelta64[ms]")
    return created, close


@pytest.fixture(scope="module")
def hubspot_api(tmp_path_factory) -> Path:
    rng = np.random.default_rng(15)
    created, close = _timestamps(rng)

    def iso(values: np.ndarray) -> pa.Array:
        text = pc.strftime(pa.array(values), format="%Y-%m-%dT%H:%M:%S")  # with milliseconds
        return pc.binary_join_element_wise(text, "Z", "")

    stage = rng.choice(np.array(["closedwon", "closedlost", "appointmentscheduled",
                                 "contractsent", "見込み"]), ROWS)
    amount = rng.lognormal(13, 1, ROWS).round(-3).astype(np.int64).astype(str)
    amount[(rng.random(ROWS) < 0.1) & ~np.isin(stage, ["closedwon", "closedlost"])] = ""
    path = tmp_path_factory.mktemp("hubspot") / "deals_1m.csv"
    pacsv.write_csv(pa.table({"Record ID": np.arange(ROWS).astype(str), "Deal Stage": stage,
                              "Amount": amount, "Close Date": iso(close),
                              "Create Date": iso(created)}), path)
    return path


@pytest.fixture(scope="module")
def european(tmp_path_factory) -> Path:
    rng = np.random.default_rng(16)
    created, close = _timestamps(rng)

    def day_first(values: np.ndarray) -> pa.Array:
        return pc.strftime(pa.array(values.astype("datetime64[s]")), format="%d.%m.%Y")

    cents = rng.integers(100_000, 100_000_000, ROWS)
    amount = pc.binary_join_element_wise(pa.array((cents // 100).astype(str)),
                                         pa.array((cents % 100).astype(str)), ",")
    stage = rng.choice(np.array(["Closed Won", "Closed Lost", "Qualification",
                                 "Negotiation/Review"]), ROWS)
    path = tmp_path_factory.mktemp("eu") / "opportunities_1m.csv"
    pacsv.write_csv(pa.table({"Opportunity ID": np.arange(ROWS).astype(str), "Stage": stage,
                              "Amount": amount, "Close Date": day_first(close),
                              "Created Date": day_first(created)}), path,
                    write_options=pacsv.WriteOptions(delimiter=";"))
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="needs the resource module")
@pytest.mark.parametrize("which, mapping", [("hubspot_api", "hubspot"),
                                            ("european", "salesforce")])
def test_reading_a_million_real_shaped_rows(request, which, mapping, tmp_path):
    path = request.getfixturevalue(which)
    m = run_measured(_READ, str(path), mapping, str(tmp_path / "q.csv"))
    size = path.stat().st_size / 2**20
    print(f"\n[{which}: {ROWS:,} rows, {size:.0f} MB] read in {m['read_s']:.2f} s, peak RSS "
          f"{m['peak_rss_mb']:.0f} MB; kept {m['kept']:,}, "
          f"{m['missing_amounts']:,} without an amount")
    assert m["kept"] == ROWS
    assert m["read_s"] < GOAL_SECONDS and m["peak_rss_mb"] < GOAL_MB
