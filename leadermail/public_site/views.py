"""Small helpers shared by the citizen site's route modules."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Attachment
from leadermail.platform.uploads import UploadNotFound, open_upload
from leadermail.platform.web.requests import app_context, current_tenant, tenant_url
from leadermail.public_site.rendering import renderer_for
from leadermail.tenants.registry import TenantRef

#: A whole letter with five 10 MB files, plus the form's text and overhead.
MAX_BODY_BYTES = 5 * 10 * 1024 * 1024 + 1024 * 1024


def site(request: Request) -> tuple[AppContext, TenantRef]:
    return app_context(request), current_tenant(request)


def render(
    request: Request,
    template: str,
    ctx: Mapping[str, Any] | None = None,
    *,
    fragment: str | Sequence[str] | None = None,
    status_code: int = 200,
    no_store: bool = False,
) -> Response:
    headers = {"Cache-Control": "no-store"} if no_store else None
    return renderer_for(app_context(request)).render(
        request, template, ctx, fragment=fragment, status_code=status_code, headers=headers
    )


def not_found(request: Request) -> Response:
    return render(request, "errors/not_found.html", {"status": 404}, status_code=404)


def attachment_file(
    request: Request, attachment: Attachment | None, *, cache_control: str
) -> Response:
    """The stored bytes of ``attachment`` (already checked as the visitor's
    to see), or the not-found page when there is none or its file is gone."""
    if attachment is None:
        return not_found(request)
    context, tenant = site(request)
    try:
        path = open_upload(context.settings.upload_dir, attachment.storage_key, tenant_id=tenant.id)
    except UploadNotFound:
        return not_found(request)
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        headers={"Cache-Control": cache_control},
    )


def redirect(request: Request, path: str) -> RedirectResponse:
    """303 to a path on the tenant's site (POST → redirect → GET)."""
    return RedirectResponse(tenant_url(request, path), status_code=303)


def body_too_large(request: Request) -> bool:
    length = request.headers.get("content-length")
    return bool(length and length.isdigit() and int(length) > MAX_BODY_BYTES)


def limit(context: AppContext, count: int, period: str) -> str:
    return f"{count * context.settings.rate_limit_multiplier}/{period}"


def local_path(value: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after a form (no open redirects)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def now() -> float:
    return time.time()
