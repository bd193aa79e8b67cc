"""Feedback pages that are safe to open: nothing a student wrote or printed can run in the reader's browser.

nbconvert's own sanitiser (``HTMLExporter.sanitize_html``, switched on in ``course.py``) cleans the
HTML of Markdown cells and outputs. :class:`SafeFeedback` goes further before rendering: outputs keep
only plain text and PNG/JPEG images, raw cells are shown as text, attachments are dropped, and long
text is cut, so a 200 MB print cannot become a 200 MB page.

:class:`FeedbackHTML` writes the pages (``GenerateFeedback.exporter_class`` in ``course.py``): it is
nbconvert's HTML exporter made cheaper for a class, where every page has the same template and
mostly the same cells.
"""

from __future__ import annotations

import functools

import bleach
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters import markdown2html_mistune
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor
from traitlets import Int

SAFE_MIME = ("text/plain", "image/png", "image/jpeg")
SAFE_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
             "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table", "tbody",
             "td", "th", "thead", "tr", "ul"}
SAFE_ATTRIBUTES = {"a": ["href", "title"], "span": ["class"], "code": ["class"]}
CUT_NOTE = "\n[cut: {n:,} more characters]"
IMAGE_ALT = "a figure your code drew"
CACHED_CELLS = 4096  # rendered cells kept across a class run (the same cells recur in every notebook)


class SafeFeedback(Preprocessor):
    enabled = True
    max_chars = Int(20_000, help="characters of text kept per output").tag(config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self._safe_markdown = functools.lru_cache(CACHED_CELLS)(safe_markdown)

    def preprocess_cell(self, cell, resources, index):
        cell.pop("attachments", None)
        if cell.cell_type == "markdown":
            cell.cell_type, cell.source = "raw", self._safe_markdown(cell.source)
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
                # Only the alt text survives from the metadata: a screen reader announces the image.
                output["metadata"] = {"alt": IMAGE_ALT}
            if "traceback" in output:
                output["traceback"] = [self._cut(line) for line in output["traceback"][-10:]]
            if "evalue" in output:
                output["evalue"] = self._cut(output["evalue"])
        return cell, resources

    def _cut(self, text):
        text = "".join(text) if isinstance(text, list) else str(text)
        extra = len(text) - self.max_chars
        return text if extra <= 0 else text[: self.max_chars] + CUT_NOTE.format(n=extra)


def safe_markdown(source: str) -> str:
    """Markdown rendered and cleaned as HTML (as nbviewer does), to be passed on as finished HTML."""
    return bleach.clean(markdown2html_mistune(source), tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES,
                        protocols={"http", "https", "mailto"}, strip=False)


class FeedbackHTML(HTMLExporter):
    """nbconvert's HTML exporter without its last pass, and remembering the code it highlighted.

    nbconvert's exporter ends by parsing the finished page again with BeautifulSoup, only to add
    alt text to images that lack it and tab stops to cells of its JupyterLab template. That pass
    took half of a feedback page's time (a page has thousands of highlighted tokens). nbgrader's
    feedback template is the classic one, which has no such cells, and :class:`SafeFeedback` gives
    every image its alt text, so the pass would change nothing here. Everything before it is
    nbconvert's ``HTMLExporter.from_notebook_node`` as it is.
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self._highlighters: dict[str | None, CachedHighlight] = {}

    def from_notebook_node(self, nb, resources=None, **kw):
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        if lexer not in self._highlighters:
            self._highlighters[lexer] = CachedHighlight(pygments_lexer=lexer, parent=self)
        self.register_filter("highlight_code", self.filters.get("highlight_code", self._highlighters[lexer]))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


class CachedHighlight(Highlight2HTML):
    """nbconvert's code highlighter, answering a cell it has seen before from memory."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self._highlight = functools.lru_cache(CACHED_CELLS)(self._highlight_uncached)

    def __call__(self, source, language=None, metadata=None):
        # Of the cell's metadata, the highlighter reads only its magics_language.
        return self._highlight(source, language, (metadata or {}).get("magics_language"))

    def _highlight_uncached(self, source, language, magics_language):
        metadata = {"magics_language": magics_language} if magics_language else None
        return super().__call__(source, language, metadata)
