"""HTML sanitising for display in the agent UI, and HTML-to-text conversion."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

import nh3

# Tags an email body legitimately uses for layout and text. No forms, frames, media or scripts.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "address", "b", "bdi", "bdo", "blockquote", "br", "caption", "center",
        "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "font",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
        "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip

# Tags removed together with everything inside them.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "head", "title", "noscript", "template", "iframe", "object", "embed"}
)

_GENERIC_ATTRIBUTES = {"title", "lang", "dir", "align", "valign", "style"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": _GENERIC_ATTRIBUTES,
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "border"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "width", "bgcolor"},
    "td": {"colspan", "rowspan", "width", "height", "bgcolor", "nowrap"},
    "th": {"colspan", "rowspan", "width", "height", "bgcolor", "nowrap", "scope"},
    "tr": {"bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "li": {"value"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
}

# cid: lets inline images be rewritten to our attachment URLs later; no data:, no javascript:.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})

# Only presentational properties: nothing that loads a URL or positions content over the UI.
ALLOWED_STYLE_PROPERTIES = frozenset(
    {
        "color", "background-color", "font-family", "font-size", "font-style", "font-weight",
        "text-align", "text-decoration", "text-indent", "line-height", "white-space",
        "vertical-align", "margin", "margin-top", "margin-bottom", "margin-left",
        "margin-right", "padding", "padding-top", "padding-bottom", "padding-left",
        "padding-right", "border", "border-collapse", "border-color", "border-style",
        "border-width", "width", "height", "list-style-type",
    }
)  # fmt: skip

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(ALLOWED_URL_SCHEMES),
    filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to a safe subset suitable for the agent UI."""
    return _cleaner.clean(html)


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip_depth = 0
        self._pre_depth = 0

    def _newline(self, count: int) -> None:
        self.chunks.append("\n" * count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag == "br":
            self.chunks.append("\n")
        elif tag == "pre":
            self._pre_depth += 1
            self._newline(2)
        elif tag == "li":
            self._newline(1)
            self.chunks.append("- ")
        elif tag in ("td", "th"):
            self.chunks.append(" ")
        elif tag in _PARAGRAPH_TAGS:
            self._newline(2)
        elif tag in _BLOCK_TAGS:
            self._newline(1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.chunks.append("\n")
        elif tag in _BLOCK_TAGS:
            self._newline(1)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
            self._newline(2)
        elif tag in _PARAGRAPH_TAGS:
            self._newline(2)
        elif tag in _BLOCK_TAGS and tag != "li":  # the next <li> starts its own line
            self._newline(1)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            self.chunks.append(data)
        else:
            self.chunks.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """Convert HTML to readable plain text, keeping paragraphs and line breaks."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient, but never let odd markup break parsing
        return html_lib.unescape(re.sub(r"<[^>]*>", " ", html)).strip()
    text = "".join(parser.chunks).replace("\xa0", " ")
    lines = [line.strip(" \t") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
