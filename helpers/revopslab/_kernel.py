"""Quiet the course's Jupyter kernel: its TCP notice is noise to a report runner.

``python -m revopslab._kernel`` (run by the Makefile after ``ipykernel install``) writes
``c.IPKernelApp.log_level = "ERROR"`` into the environment's IPython kernel config
(``<prefix>/etc/ipython/ipython_kernel_config.py``, which IPython reads for every kernel
of this environment), so nbconvert, papermill, nbval and ``make execute`` no longer print
"Kernel is running over TCP without encryption" (the kernel only listens on localhost).
Errors are still shown, and a command-line ``--IPKernelApp.log_level`` still wins.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["KERNEL_NAME", "KERNEL_DISPLAY_NAME", "KERNELSPEC", "LINE", "quiet_kernel"]

#: The kernel `make lab` registers (``ipykernel install --name ... --display-name ...`` in the
#: Makefile); every committed notebook carries the same kernelspec (``python -m
#: revopslab._notebooks`` writes it), so opening a notebook in JupyterLab changes nothing.
KERNEL_NAME = "python3"
KERNEL_DISPLAY_NAME = "Python 3 (RevOps Lab)"
KERNELSPEC: dict[str, str] = {
    "display_name": KERNEL_DISPLAY_NAME, "language": "python", "name": KERNEL_NAME}

LINE = 'c.IPKernelApp.log_level = "ERROR"  # revopslab: no TCP notice on every run'


def quiet_kernel(prefix: str | os.PathLike = sys.prefix) -> Path:
    """Add :data:`LINE` to the kernel config under ``prefix`` (once); return its path.

    An existing config keeps its own lines; the file is written atomically.

    Examples
    --------
    >>> import tempfile
    >>> prefix = Path(tempfile.mkdtemp())
    >>> path = quiet_kernel(prefix)
    >>> path = quiet_kernel(prefix)  # a second call changes nothing
    >>> path.read_text().count("IPKernelApp.log_level")
    1
    >>> path.relative_to(prefix).as_posix()
    'etc/ipython/ipython_kernel_config.py'
    """
    path = Path(prefix) / "etc" / "ipython" / "ipython_kernel_config.py"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if "IPKernelApp.log_level" not in text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".py.tmp")
        tmp.write_text(text + ("" if not text or text.endswith("\n") else "\n") + LINE + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)
    return path


if __name__ == "__main__":
    print(f"quiet kernel config: {quiet_kernel()}")
