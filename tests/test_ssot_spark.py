"""The SSOT on Spark: Splink's Spark backend gives the DuckDB answer on the default company.

These tests need ``pyspark`` (the ``spark`` extra) and a Java runtime. ``make test`` leaves
them to ``make spark-check``, which installs both and sets ``REVOPSLAB_REQUIRE_SPARK=1``: a
missing piece is then a failure, not a skip, so the Spark path cannot rot silently in CI (which
runs it after ``make test``). Plain ``pytest`` runs them where both are installed and skips
them, with the reason, where either is missing.

What "agree" means here: Splink draws the random pairs that estimate the *u* probabilities
with each backend's own random functions, so the two engines learn slightly different
weights from the same seed; and Spark's Jaro-Winkler (Splink's Scala UDF) and DuckDB's may
differ in the last digits. A pair near the 0.7 threshold can therefore fall on the other
side. The test holds the engines to the issue's bar: account and person F1 within 0.005,
and the numbers of linked and unresolved records equal within 0.5 % of the records (the
measured difference and its cause: see ``SPARK_COUNT_TOLERANCE``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

from revopslab.config import CompanyConfig
from revopslab.silos import export_silos
from revopslab.simulate import simulate_company
from revopslab.ssot import ENTITIES, SplinkMatcher, build_ssot, evaluate

SEED = 2024  # the default company of notebook 03 and of the benchmarks
F1_TOLERANCE = 0.005  # the bar
#: Linked (and unresolved) records may differ by at most this share of the records.
#: Measured on the default company (seed 2024): people identical (44,781 linked, 77
#: unresolved on both); accounts 19,145 linked / 123 unresolved on DuckDB against 19,184 /
#: 84 on Spark: 39 records (0.2 %) of the review band (0.3 <= p < 0.7) that Spark's
#: slightly different u estimates push over the 0.7 threshold. Account F1 0.98529 vs 0.98632.
SPARK_COUNT_TOLERANCE = 0.005

_REQUIRED = os.environ.get("REVOPSLAB_REQUIRE_SPARK") == "1"


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (the 'spark' extra: make spark-check)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime on the PATH (make spark-check installs default-jre-headless)"
    return None


_WHY = _missing()
if _WHY and _REQUIRED:
    raise RuntimeError(f"REVOPSLAB_REQUIRE_SPARK=1 but {_WHY}")
pytestmark = pytest.mark.skipif(_WHY is not None, reason=_WHY or "")


@pytest.fixture(scope="module")
def silos():
    return export_silos(simulate_company(CompanyConfig(), rng=SEED))


@pytest.fixture(scope="module")
def both(silos):
    """The SSOT of the default company built on each engine: {engine: (quality, counts)}."""
    out = {}
    for engine in ("duckdb", "spark"):
        with build_ssot(silos, engine=engine) as db:
            assert db.engine == engine
            quality = {e: evaluate(db.links, silos.truth, entity=e) for e in ENTITIES}
            counts = db.sql("SELECT entity, count(*) AS n FROM links GROUP BY ALL").set_index(
                "entity")["n"].to_dict()
            waiting = db.sql("SELECT entity, count(*) AS n FROM unresolved GROUP BY ALL")
            counts = {e: (int(counts.get(e, 0)), int(dict(zip(waiting["entity"], waiting["n"],
                                                              strict=True)).get(e, 0)))
                      for e in ENTITIES}
            out[engine] = (quality, counts)
    return out


@pytest.mark.parametrize("entity", ENTITIES)
def test_spark_and_duckdb_agree_on_the_default_company(both, entity):
    (dq, dc), (sq, sc) = both["duckdb"], both["spark"]
    d_f1, s_f1 = float(dq[entity]["f1"]), float(sq[entity]["f1"])
    (d_linked, d_waiting), (s_linked, s_waiting) = dc[entity], sc[entity]
    records = d_linked + d_waiting
    print(f"\n[{entity}] F1 duckdb {d_f1:.5f} spark {s_f1:.5f}; linked {d_linked:,} / "
          f"{s_linked:,}; unresolved {d_waiting:,} / {s_waiting:,}")
    assert s_linked + s_waiting == records  # nothing lost on either engine
    assert abs(s_f1 - d_f1) <= F1_TOLERANCE
    assert abs(s_waiting - d_waiting) <= SPARK_COUNT_TOLERANCE * records
    assert s_f1 >= 0.95


def test_spark_matcher_runs_on_a_session_the_caller_passes():
    from revopslab.ssot import account_records, local_spark

    session = local_spark()  # stands for a cluster's session: the matcher only uses it
    silos = export_silos(simulate_company(CompanyConfig(months=12, scale=0.1), rng=3))
    records = account_records(silos)
    found = SplinkMatcher(engine="spark", spark=session).resolve(records, entity="account")
    assert len(found) == len(records)
    assert found["cluster_id"].nunique() < len(records)
    weights = SplinkMatcher(engine="spark", spark=session).parameters(records, entity="account")
    assert weights.loc[weights["comparison"] == "domain", "match_weight"].iloc[0] > 5
    # the matcher leaves no Splink table behind in the caller's session
    left = [t.name for t in session.catalog.listTables() if t.name.startswith("__splink__")]
    assert left == []
