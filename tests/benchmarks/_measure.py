"""Timing and peak-memory helpers shared by every benchmark."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Linux keeps ru_maxrss across exec: a child started straight from this (large) pytest
# process would report pytest's RSS as its own. A thin launcher (no numpy, ~10 MB) runs
# the measured script instead and adds its RUSAGE_CHILDREN high-water mark.
_LAUNCHER = textwrap.dedent("""
    import json, resource, subprocess, sys
    done = subprocess.run([sys.executable, "-c"] + sys.argv[1:], capture_output=True,
                          text=True, check=False)
    if done.returncode:
        sys.exit(done.stderr)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out["children_maxrss_mb"] = rss / 2**20 if sys.platform == "darwin" else rss / 2**10
    print(json.dumps(out))
""")


def best_of(fn, repeats: int = 3, warmup: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeats`` calls of ``fn`` after ``warmup`` calls, and its result."""
    result = None
    for _ in range(warmup):
        result = fn()
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def run_measured(script: str, *args: str, timeout: float = 1800) -> dict:
    """Run ``script`` (which prints one JSON line last) in a fresh process; add its peak RSS."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, script, *args], cwd=REPO,
                          capture_output=True, text=True, check=False, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
