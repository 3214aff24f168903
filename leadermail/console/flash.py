"""One-off messages shown on the next page (after a redirect) or in the
fragment an htmx request gets back.

    flash(request, "已受理")
    flash(request, exc.message, error=True)
"""

from __future__ import annotations

from starlette.requests import Request

SESSION_KEY = "flashes"


def flash(request: Request, message: str, *, error: bool = False) -> None:
    messages = list(request.session.get(SESSION_KEY, []))
    messages.append({"message": message, "error": error})
    request.session[SESSION_KEY] = messages[-5:]


def pop_flashes(request: Request) -> list[dict[str, object]]:
    if "session" not in request.scope:
        return []
    return list(request.session.pop(SESSION_KEY, []) or [])


def console_url(request: Request, path: str) -> str:
    """A console link on either kind of address: ``console_url(request, "/inbox")``."""
    return getattr(request.state, "tenant_prefix", "") + "/console" + path
