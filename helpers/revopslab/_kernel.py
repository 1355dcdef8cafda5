"""Quiet the course's Jupyter kernel: its TCP notice is noise to a report runner.

``python -m revopslab._kernel`` (run by the Makefile after ``ipykernel install``) adds
``--IPKernelApp.log_level=ERROR`` to the venv's ``python3`` kernelspec, so nbconvert,
papermill, nbval and ``make execute`` no longer print "Kernel is running over TCP without
encryption" (the kernel only listens on localhost). Errors are still shown.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = ["QUIET", "quiet_kernelspec"]

QUIET = "--IPKernelApp.log_level=ERROR"


def quiet_kernelspec(prefix: str | os.PathLike = sys.prefix, *, name: str = "python3") -> Path:
    """Add :data:`QUIET` to the kernelspec ``name`` under ``prefix`` (once); return its path.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "share" / "jupyter" / "kernels" / "python3"
    >>> folder.mkdir(parents=True)
    >>> _ = (folder / "kernel.json").write_text('{"argv": ["python", "-m", "ipykernel_launcher"]}')
    >>> path = quiet_kernelspec(folder.parents[3])
    >>> path = quiet_kernelspec(folder.parents[3])  # a second call changes nothing
    >>> json.loads(path.read_text())["argv"][-1] == QUIET
    True
    >>> json.loads(path.read_text())["argv"].count(QUIET)
    1
    """
    path = Path(prefix) / "share" / "jupyter" / "kernels" / name / "kernel.json"
    if not path.is_file():
        raise FileNotFoundError(f"no kernelspec {name!r} under {prefix}: run "
                                "`python -m ipykernel install --sys-prefix --name python3` first")
    spec = json.loads(path.read_text(encoding="utf-8"))
    if QUIET not in spec.get("argv", []):
        spec["argv"] = [*spec.get("argv", []), QUIET]
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(spec, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    return path


if __name__ == "__main__":
    print(f"quiet kernelspec: {quiet_kernelspec()}")
