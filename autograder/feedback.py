"""Feedback pages that are safe to open: nothing a student wrote or printed can run in the reader's browser.

nbconvert's own sanitiser (``HTMLExporter.sanitize_html``, switched on in ``course.py``) cleans the
HTML of Markdown cells and outputs. :class:`SafeFeedback` goes further before rendering: outputs keep
only plain text and PNG/JPEG images, raw cells are shown as text, attachments are dropped, and long
text is cut, so a 200 MB print cannot become a 200 MB page.
"""

from __future__ import annotations

import bleach
from nbconvert.filters import markdown2html_mistune
from nbconvert.preprocessors import Preprocessor
from traitlets import Int

SAFE_MIME = ("text/plain", "image/png", "image/jpeg")
SAFE_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
             "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table", "tbody",
             "td", "th", "thead", "tr", "ul"}
SAFE_ATTRIBUTES = {"a": ["href", "title"], "span": ["class"], "code": ["class"]}
CUT_NOTE = "\n[cut: {n:,} more characters]"


class SafeFeedback(Preprocessor):
    enabled = True
    max_chars = Int(20_000, help="characters of text kept per output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        cell.pop("attachments", None)
        if cell.cell_type == "markdown":
            # Rendered here and cleaned as HTML (as nbviewer does), then passed on as finished HTML.
            html = markdown2html_mistune(cell.source)
            cell.cell_type, cell.source = "raw", bleach.clean(
                html, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, protocols={"http", "https", "mailto"},
                strip=False)
            cell.metadata["raw_mimetype"] = "text/html"
            cell.pop("outputs", None)
        elif cell.cell_type == "raw":
            cell.metadata.pop("format", None)
            cell.metadata.pop("raw_mimetype", None)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = self._cut(output["text"])
            if "data" in output:
                output["data"] = {k: v for k, v in output["data"].items() if k in SAFE_MIME}
                if "text/plain" in output["data"]:
                    output["data"]["text/plain"] = self._cut(output["data"]["text/plain"])
                output["metadata"] = {}
            if "traceback" in output:
                output["traceback"] = [self._cut(line) for line in output["traceback"][-10:]]
            if "evalue" in output:
                output["evalue"] = self._cut(output["evalue"])
        return cell, resources

    def _cut(self, text):
        text = "".join(text) if isinstance(text, list) else str(text)
        extra = len(text) - self.max_chars
        return text if extra <= 0 else text[: self.max_chars] + CUT_NOTE.format(n=extra)
