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
    """Textarea input (no JavaScript editor) becomes paragraphs."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def looks_like_html(raw: str) -> bool:
    """Whether the editor holds HTML (a saved draft) rather than typed text."""
    return re.search(r"<\s*[a-zA-Z]", raw or "") is not None


def reply_html_from_form(raw: str) -> str:
    """What a form posted, as safe HTML: HTML if it looks like HTML, else text."""
    raw = (raw or "").strip()
    if looks_like_html(raw):
        return sanitize_reply_html(raw)
    return plain_text_to_html(raw)


def html_to_text(value: str) -> str:
    """Plain text of sanitised reply HTML (for e-mails, previews and signatures)."""
    text = re.sub(r"<br\s*/?>", "\n", value)
    text = re.sub(r"</(p|li|blockquote)>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).strip()
