"""Host → tenant resolution, the first thing every request goes through.

1. An exact Host match (a custom domain such as ``szxx.hunan.gov.cn``) wins.
2. Otherwise, on the shared platform host, ``/t/<slug>/...`` selects the
   tenant; the prefix is declared as ``root_path`` (ASGI: ``path`` keeps it)
   so the apps below route ``/write`` the same way on both kinds of address.
3. Otherwise, on the platform host, the request is for the platform itself
   (no tenant); any other host is an unknown tenant.

The result is ``scope["state"]["tenant"]`` (a TenantRef or None) and
``scope["state"]["tenant_prefix"]`` ("" or "/t/<slug>"), which templates use
to build links. Unknown tenants get a 404 page, disabled ones a "closed" page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from leadermail.tenants.registry import TenantDirectory, TenantRef

#: (scope, receive, send, status, template, tenant) -> response
ErrorPage = Callable[[Scope, Receive, Send, int, str, TenantRef | None], Awaitable[None]]

PATH_PREFIX = "/t/"


def _host_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1").strip().lower()
            # Strip the port, keeping IPv6 literals intact.
            if host.startswith("["):
                return host.split("]")[0] + "]"
            return host.rsplit(":", 1)[0] if ":" in host else host
    return ""


class TenantResolutionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        tenants: TenantDirectory,
        error_page: ErrorPage,
        platform_hosts: frozenset[str],
    ) -> None:
        self.app = app
        self.tenants = tenants
        self.error_page = error_page
        self.platform_hosts = platform_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        path: str = scope["path"]
        if path.startswith("/static/"):
            state["tenant"], state["tenant_prefix"] = None, ""
            await self.app(scope, receive, send)
            return

        host = _host_of(scope)
        tenant = await self.tenants.by_host(host)
        prefix = ""
        if tenant is None and host not in self.platform_hosts:
            await self.error_page(scope, receive, send, 404, "errors/not_found.html", None)
            return
        if tenant is None and path.startswith(PATH_PREFIX):
            slug, _, rest = path[len(PATH_PREFIX) :].partition("/")
            tenant = await self.tenants.by_slug(slug)
            if tenant is None:
                await self.error_page(scope, receive, send, 404, "errors/not_found.html", None)
                return
            prefix = PATH_PREFIX + slug
            # ASGI: ``path`` keeps the prefix and ``root_path`` names it, so
            # every router below (including nested Mounts such as /console)
            # strips it the same way and request.url stays the real address.
            scope["root_path"] = scope.get("root_path", "") + prefix
            if not rest and not path.endswith("/"):
                # /t/changsha → /t/changsha/ so relative links behave.
                await _redirect(send, prefix + "/")
                return

        if tenant is not None and not tenant.is_active:
            await self.error_page(scope, receive, send, 503, "errors/closed.html", tenant)
            return
        state["tenant"] = tenant
        state["tenant_prefix"] = prefix
        await self.app(scope, receive, send)


async def _redirect(send: Send, location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 308,
            "headers": [(b"location", location.encode()), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})
