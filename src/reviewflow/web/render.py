"""Server-rendered pages: Jinja2 with autoescaping on, the project's chrome, and filters.

Every piece of record text reaches a page through Jinja2's autoescaping; the one filter
that builds markup (:func:`highlight`) escapes each piece of text itself before wrapping
the matched terms in ``<mark>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from ..stages.screening.highlight import highlight_spans
from .rules import CSRF_FIELD, Ctx

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
HTMX = "htmx-2.0.11.min.js"


def highlight(text: str | None, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Markup:
    """``text`` escaped, with the protocol's include terms in green and exclude in red."""
    text = text or ""
    out, at = [], 0
    for start, end, kind in highlight_spans(text, include, exclude):
        out.append(escape(text[at:start]))
        word = escape(text[start:end])
        out.append(Markup(f'<mark class="hl-{kind}" title="{kind} term">{word}</mark>'))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def csrf_input(ctx: Ctx) -> Markup:
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(ctx.csrf)}">')


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.autoescape = True
    env.filters["highlight"] = highlight
    env.globals["htmx"] = HTMX
    env.globals["csrf_input"] = csrf_input
    env.globals["STAGE_NAMES"] = {"ta": "Title/abstract", "ft": "Full text"}
    return templates


def page(ctx: Ctx, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render ``template`` for ``ctx`` (the project, the user and the CSRF token known)."""
    request: Request = ctx.request
    templates: Jinja2Templates = request.app.state.templates
    project = ctx.project
    values.setdefault("title", project.settings.title if project else "reviewflow")
    return templates.TemplateResponse(
        request,
        template,
        {"ctx": ctx, "project": project, "user": ctx.user, "slug": ctx.slug, **values},
        status_code=status_code,
    )


def fragment(ctx: Ctx, template: str, **values: Any) -> HTMLResponse:
    """A piece of a page for HTMX to swap in (same context as :func:`page`)."""
    return page(ctx, template, **values)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
