"""Reply rich text: only a few harmless tags survive (nh3, Rust's ammonia).

    sanitize_reply_html('<p onclick="x()">好<script>alert(1)</script></p>')
    # -> '<p>好</p>'

No attributes at all are kept (no links, no styles): a reply is paragraphs,
emphasis and lists. That also lets :func:`html_to_text` and the redaction of
published replies work on plain text safely.
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = frozenset({"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote"})
MAX_REPLY_CHARS = 20_000


def sanitize_reply_html(raw: str) -> str:
    cleaned = nh3.clean(
        raw or "",
        tags=set(ALLOWED_TAGS),
        attributes={},
        clean_content_tags={"script", "style"},
        strip_comments=True,
        link_rel=None,
    )
    return cleaned.strip()


def plain_text_to_html(text: str) -> str:
    """The editor's text as reply HTML: a blank line starts a paragraph, a
    line break stays a line break, and anything that looks like markup
    (``<GB 12523-2011>``) is text, escaped."""
    text = (text or "").replace("\r\n", "\n")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def reply_html_from_form(raw: str) -> str:
    """What the reply editor posted, as safe HTML.

    The editor is a plain textarea, with or without JavaScript, so what it
    posts is always text. (It once guessed "HTML or text?" from the first
    ``<``: clerks then saw their saved draft as raw ``<p>…<br>`` markup, lines
    typed after that lost their breaks, and a standard cited as
    ``<GB 12523-2011>`` was stripped as an unknown tag.)
    """
    return plain_text_to_html((raw or "").strip())


def html_to_editor_text(value: str) -> str:
    """Reply HTML as the editor shows it, the inverse of
    :func:`plain_text_to_html`: paragraphs split by a blank line, line breaks
    kept, list items one per line. Emphasis of older rich-text replies and
    canned replies is dropped: the editor has no way to show it."""
    text = re.sub(r"<br\s*/?>", "\n", value or "")
    text = text.replace("<li>", "• ").replace("</li>", "\n")
    text = re.sub(r"</(p|blockquote|ul|ol)>", "\n\n", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\n[ \t]*\n(\s*\n)+", "\n\n", text).strip()


def html_to_text(value: str) -> str:
    """Plain text of sanitised reply HTML (for e-mails, previews and signatures)."""
    text = re.sub(r"<br\s*/?>", "\n", value)
    text = re.sub(r"</(p|li|blockquote)>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).strip()
