"""Markdown to safe HTML: markdown-it-py renders, nh3 (Ammonia) sanitises."""

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table").enable(
    "strikethrough"
)
_md.use(footnote_plugin).use(tasklists_plugin)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "kbd", "li", "mark", "ol", "p", "pre", "s", "section",
    "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "input": {"type", "checked", "disabled"},
    "li": {"class"},
    "section": {"class"},
    "code": {"class"},
}


def sanitise_html(html: str) -> Markup:
    """Return ``html`` with everything outside the allow-list removed (scripts, handlers, js: URLs)."""
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


def render_markdown(text: str) -> Markup:
    """Render trainer-written Markdown to sanitised HTML, safe to put in a page."""
    return sanitise_html(_md.render(text or ""))
