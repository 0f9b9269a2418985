"""A study's command line: ``python experiments/<name>.py [key=value ...] [--out DIR]``.

Runs the study (:mod:`scenarios.study`), then writes its dataset, figure and markdown
result; a bad override is one line on stderr and exit status 2, with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from scenarios.study import StudyParams, load_study, run_study
from sim.validation import ConfigError

__all__ = ["main"]


def main(name: str, analyse: Callable[[xr.Dataset, StudyParams], tuple[str, Any]],
         argv: Sequence[str] | None = None) -> int:
    """Run study ``name`` and write its dataset, figure and markdown result.

    ``analyse(ds, params)`` returns the markdown body and a matplotlib figure.
    ``--out DIR`` writes there instead of ``experiments/results/<name>/``;
    ``--sweep-dir DIR`` keeps the runs there (resumable; see :func:`run_study`).
    """
    import sys

    import matplotlib

    from sim.io import write_atomic, write_results, write_text

    matplotlib.use("Agg")

    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(__file__).resolve().parents[1] / "experiments" / "results" / name
    if "--out" in args:
        k = args.index("--out")
        out = Path(args[k + 1])
        del args[k:k + 2]
    sweep_dir = None
    if "--sweep-dir" in args:
        k = args.index("--sweep-dir")
        sweep_dir = Path(args[k + 1])
        del args[k:k + 2]
    try:
        params = load_study(name, args)
        ds = run_study(params, directory=sweep_dir)
    except ConfigError as err:
        print(f"valuesim: error: {err}", file=sys.stderr)
        return 2
    body, figure = analyse(ds, params)
    out.mkdir(parents=True, exist_ok=True)
    encoding = {v: {"zlib": True, "complevel": 4, "dtype": "float32"} for v in ds.data_vars
                if ds[v].dtype.kind == "f"}
    write_results(ds, out / "dataset.nc", encoding=encoding)
    write_atomic(out / "figure.png", lambda tmp: figure.savefig(tmp, dpi=110, format="png"))
    command = " ".join([f"python experiments/{name}.py", *args])
    header = (f"# {params.title}\n\n**Claim (MODEL.md §12):** {params.claim}\n\n"
              f"**Command:** `{command}` — {params.replicates} replicates per arm and "
              f"condition, seed {params.seed}, common random numbers across arms.\n\n")
    write_text(out / "result.md", header + body)
    print(f"wrote {out}/result.md, figure.png, dataset.nc")
    return 0
