"""Themes and rendering: one helper decides page or fragment.

A theme is a folder ``themes/<name>/`` with ``theme.json``
(``{"label": "...", "extends": "base"}``), ``templates/`` holding the slots it
overrides (``_slots/header_logo.html``, ...) and ``static/`` (CSS variables,
logo). Template look-up climbs the theme chain, then the surface's own
templates (``public_site/templates`` or ``console/templates``)::

    renderer = Renderer(themes, PUBLIC_TEMPLATES)
    return renderer.render(request, "letters/list.html", ctx, fragment="letter_rows")

``fragment`` names the ``{% block %}`` an htmx request swaps in (or several,
rendered one after the other: the target's block, then blocks marked
``hx-swap-oob``); a normal request (or JavaScript off) gets the whole page
from the same template.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2_fragments import render_blocks
from starlette.requests import Request
from starlette.responses import HTMLResponse

from leadermail.platform.letters.tracking import format_tracking_code

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    extends: str | None
    path: Path


class ThemeError(LookupError):
    pass


class Themes:
    """The themes found under ``themes_dir``."""

    def __init__(self, themes_dir: Path) -> None:
        self.themes_dir = themes_dir
        self._static_urls: dict[tuple[str, str], str] = {}

    @cached_property
    def available(self) -> dict[str, Theme]:
        themes: dict[str, Theme] = {}
        for folder in sorted(self.themes_dir.iterdir()):
            meta = folder / "theme.json"
            if not meta.is_file():
                continue
            data = json.loads(meta.read_text(encoding="utf-8"))
            extends = data.get("extends")
            if folder.name == "base":
                extends = None
            elif extends is None:
                extends = "base"
            themes[folder.name] = Theme(
                folder.name, data.get("label", folder.name), extends, folder
            )
        if "base" not in themes:
            raise ThemeError(f"no base theme in {self.themes_dir}")
        return themes

    def chain(self, name: str) -> list[Theme]:
        """``name`` and its ancestors, nearest first, ending with base."""
        chain: list[Theme] = []
        current: str | None = name if name in self.available else "base"
        while current is not None:
            if any(t.name == current for t in chain):
                raise ThemeError(f"theme {name!r} extends itself")
            theme = self.available.get(current)
            if theme is None:
                raise ThemeError(f"theme {current!r} (in the chain of {name!r}) does not exist")
            chain.append(theme)
            current = theme.extends
        return chain

    def static_url(self, theme: str, path: str) -> str:
        """URL of a static file, taken from the nearest theme that has it.

        Remembered per process: themes ship with a release, and every page
        asks for the same few files (four file-system look-ups per page).
        """
        url = self._static_urls.get((theme, path))
        if url is None:
            url = f"/static/themes/base/{path}"
            for candidate in self.chain(theme):
                if (candidate.path / "static" / path).is_file():
                    url = f"/static/themes/{candidate.name}/{path}"
                    break
            self._static_urls[(theme, path)] = url
        return url


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(SHANGHAI).strftime(fmt)


def format_date(value: datetime | None) -> str:
    return format_datetime(value, "%Y-%m-%d")


def is_htmx(request: Request) -> bool:
    """A request htmx made to swap part of a page (boosted links get pages)."""
    return (
        request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    )


class Renderer:
    """Renders a surface's templates in the theme of the request's tenant."""

    def __init__(
        self,
        themes: Themes,
        surface_templates: Path,
        *,
        globals_: Mapping[str, Any] | None = None,
        filters: Mapping[str, Callable[..., Any]] | None = None,
        context_processor: Callable[[Request], Mapping[str, Any]] | None = None,
    ) -> None:
        self.themes = themes
        self.surface_templates = surface_templates
        self._environments: dict[str, jinja2.Environment] = {}
        self._globals = dict(globals_ or {})
        self._filters = dict(filters or {})
        self.context_processor = context_processor

    def environment(self, theme: str) -> jinja2.Environment:
        env = self._environments.get(theme)
        if env is None:
            search = [str(t.path / "templates") for t in self.themes.chain(theme)]
            search.append(str(self.surface_templates))
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(search),
                autoescape=True,
                trim_blocks=True,
                lstrip_blocks=True,
                auto_reload=False,
                undefined=jinja2.StrictUndefined,
            )
            env.globals.update(self._globals)
            env.globals["theme_static"] = lambda path, _t=theme: self.themes.static_url(_t, path)
            env.filters.update(
                {
                    "datetime": format_datetime,
                    "date": format_date,
                    "code": format_tracking_code,
                    **self._filters,
                }
            )
            self._environments[theme] = env
        return env

    def compile_all(self) -> int:
        """Compile every template of every theme now (a worker does this
        before its first request: about 5 ms a template otherwise lands on
        the first visitor of each page). Returns how many."""
        count = 0
        for theme in self.themes.available:
            env = self.environment(theme)
            for name in env.list_templates(extensions=["html"]):
                env.get_template(name)
                count += 1
        return count

    def theme_for(self, request: Request) -> str:
        tenant = getattr(request.state, "tenant", None)
        return tenant.theme if tenant is not None else "base"

    def context(self, request: Request, context: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {
            "request": request,
            "tenant": getattr(request.state, "tenant", None),
            "prefix": getattr(request.state, "tenant_prefix", ""),
        }
        if self.context_processor is not None:
            merged.update(self.context_processor(request))
        merged.update(context)
        return merged

    def render_string(self, theme: str, name: str, context: Mapping[str, Any]) -> str:
        return self.environment(theme).get_template(name).render(context)

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        fragment: str | Sequence[str] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """The whole page, or only block(s) ``fragment`` for an htmx request."""
        env = self.environment(self.theme_for(request))
        ctx = self.context(request, context or {})
        if fragment is not None and is_htmx(request):
            blocks = [fragment] if isinstance(fragment, str) else list(fragment)
            html = render_blocks(env, name, blocks, ctx)
        else:
            html = env.get_template(name).render(ctx)
        response_headers = dict(headers or {})
        if fragment is not None:
            # Caches must not serve a fragment where a page was asked for.
            response_headers["Vary"] = "HX-Request"
        return HTMLResponse(html, status_code=status_code, headers=response_headers)
