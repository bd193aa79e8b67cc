"""Quality figures that lessons measure, collected by ``make bench``.

A lesson calls ``record("embeddings.wordsim353.ours", 0.41)``. While the benchmark runs, the
environment variable ``HIDDENREP_BENCH_FILE`` names a JSON file and the value is merged into it;
at any other time ``record`` does nothing, so lessons can call it unconditionally.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

BENCH_ENV = "HIDDENREP_BENCH_FILE"


def record(name: str, value: float) -> None:
    """Store metric ``name`` = ``value`` in the benchmark file, if a benchmark is running."""
    path = os.environ.get(BENCH_ENV)
    if not path:
        return
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"metric {name!r} is {value}; only finite numbers can be recorded")
    target = Path(path)
    metrics = json.loads(target.read_text()) if target.exists() else {}
    metrics[name] = value
    target.write_text(json.dumps(metrics, indent=2, sort_keys=True))
