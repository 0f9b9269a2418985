"""Named random streams of one run, spawned from ``(seed, replicate)``.

One root :class:`numpy.random.SeedSequence` per run; each named stream is an
independent child. A stream's draws never depend on the strategies or the
other streams, so the same replicate sees the same customers and the same
shocks under every strategy (common random numbers).
"""

from __future__ import annotations

import numpy as np

__all__ = ["STREAMS", "streams"]

#: Names of the child streams, in spawn order (append only: order fixes the streams).
STREAMS = ("population", "choice", "awareness", "firms", "futures", "journey", "mesa")


def streams(seed: int, replicate: int = 0) -> dict[str, np.random.Generator]:
    """Independent generators for one run.

    Examples
    --------
    >>> a = streams(7, 3)["choice"].random()
    >>> a == streams(7, 3)["choice"].random() != streams(7, 4)["choice"].random()
    True
    """
    root = np.random.SeedSequence(entropy=seed, spawn_key=(replicate,))
    return {name: np.random.default_rng(child)
            for name, child in zip(STREAMS, root.spawn(len(STREAMS)), strict=True)}
