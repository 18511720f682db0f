"""Pages from the jinja2 templates beside this module (autoescaped, so nothing a platform's page
said can become markup here)."""

from __future__ import annotations

import functools

import jinja2
from starlette.responses import HTMLResponse

from optout.textsafe import inert


@functools.cache
def environment():
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("optout.ui", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["inert"] = inert
    return env


def page(request, template: str, **context) -> HTMLResponse:
    ui = request.app.state.ui
    html = (
        environment()
        .get_template(template)
        .render(csrf=ui.guard.csrf, sandbox=ui.ctx.sandbox, here=request.url.path, **context)
    )
    return HTMLResponse(html)
