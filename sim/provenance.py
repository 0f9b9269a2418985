"""What makes a results file reproducible from itself: config, seed, version, commit."""

from __future__ import annotations

import functools
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

__all__ = ["package_version", "git_commit"]

_ROOT = Path(__file__).resolve().parents[1]


def package_version() -> str:
    try:
        return metadata.version("valuesim")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"


@functools.cache
def git_commit() -> str:
    """The source tree's commit (with ``-dirty`` if modified), or ``unknown``."""
    try:
        out = subprocess.run(["git", "-C", str(_ROOT), "describe", "--always", "--dirty",
                              "--abbrev=40"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
