"""HTML → PDF with the tenant's header, Chinese set in Noto CJK and embedded.

    pdf = render_pdf("assignment_slip.html", {"slips": [slip]}, header=DocumentHeader.of(tenant))

WeasyPrint finds the fonts through fontconfig (Debian ``fonts-noto-cjk``) by
their family names and embeds a subset of each in the PDF, so the file prints
the same on a machine without the fonts. The *SC* families are named on
purpose: the same .ttc files also hold the Japanese and Korean cuts, whose
glyphs differ for some characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import weasyprint

from leadermail.platform.deadlines.calendar import SHANGHAI
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.tenants.registry import TenantRef

TEMPLATES = Path(__file__).parent / "templates"

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _local(value: datetime | None, fmt: str = "%Y年%m月%d日 %H:%M") -> str:
    return "" if value is None else value.astimezone(SHANGHAI).strftime(fmt)


_environment.filters["local"] = _local
_environment.filters["day"] = lambda value: _local(value, "%Y年%m月%d日")
_environment.filters["code"] = format_tracking_code


@dataclass(frozen=True)
class DocumentHeader:
    """The red header (红头) of a tenant's documents.

    ``tenant.profile["document_header"]`` overrides the name (e.g. the issuing
    office's full name); ``profile["document_subheader"]`` adds a second line.
    """

    title: str
    subtitle: str | None = None

    @classmethod
    def of(cls, tenant: TenantRef) -> DocumentHeader:
        profile = tenant.profile or {}
        return cls(
            title=str(profile.get("document_header") or tenant.name),
            subtitle=profile.get("document_subheader") or None,
        )


def render_html(template: str, context: dict[str, Any], *, header: DocumentHeader) -> str:
    return _environment.get_template(template).render({**context, "header": header})


def render_pdf(template: str, context: dict[str, Any], *, header: DocumentHeader) -> bytes:
    html = render_html(template, context, header=header)
    return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
