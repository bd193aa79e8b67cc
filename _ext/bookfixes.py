"""Fixes to the built book that `_config.yml` cannot express, loaded as a local Sphinx extension."""

from __future__ import annotations

from typing import Any


def drop_repeated_scripts(app: Any, pagename: str, templatename: str, context: dict,
                          doctree: Any) -> None:
    """Emit each script of a page once.

    Inline scripts registered before the HTML builder starts are filed under the name None and
    added again, under "", when it writes pages, so Sphinx does not see the copies as equal: every
    page declared sphinx-thebe's `const THEBE_JS_URL` twice and the browser reported a SyntaxError. Scripts are equal when their
    file and attributes (an inline script's body among them) are equal; the first is kept where it
    stands.
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # An inline script is filed under None when registered early and under "" when late.
        key = (str(getattr(script, "filename", script) or ""),
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
