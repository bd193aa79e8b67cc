"""Load what the reference solution defines, for hidden tests to compare against.

``reference("02-text-as-tensors", "build_vocab")`` executes the set-up and solution cells of
``solutions/02-text-as-tensors/exercises.ipynb`` (never its test cells or cells tagged
``not-reference``) in a fresh namespace and returns the object called ``build_vocab``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from autograder.course import source_notebook

SKIP_TAG = "not-reference"


def reference(slug: str, name: str) -> Any:
    """The object ``name`` as the reference solution of assignment ``slug`` defines it."""
    namespace = _namespace(slug)
    if name not in namespace:
        raise KeyError(f"the reference solution of {slug!r} defines no {name!r}")
    return namespace[name]


def reference_cells(nb: dict[str, Any]) -> list[str]:
    """Sources of the code cells a reference load runs: everything except tests and opted-out cells."""
    sources = []
    for cell in nb["cells"]:
        metadata = cell.get("metadata", {})
        meta = metadata.get("nbgrader", {})
        is_test = meta.get("grade", False) and not meta.get("solution", False)
        if cell["cell_type"] != "code" or is_test or SKIP_TAG in metadata.get("tags", []):
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        # Notebook magics and shell escapes mean nothing outside a kernel.
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        sources.append("\n".join(lines))
    return sources


@functools.lru_cache(maxsize=None)
def _namespace(slug: str) -> dict[str, Any]:
    # Plain json, not nbformat: nbformat's schema validation costs seconds in every grading kernel.
    nb = json.loads(source_notebook(slug).read_text())
    namespace: dict[str, Any] = {"__name__": f"reference_{slug.replace('-', '_')}"}
    for i, source in enumerate(reference_cells(nb)):
        exec(compile(source, f"<reference {slug} cell {i}>", "exec"), namespace)
    return namespace
