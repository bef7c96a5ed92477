"""The one Jinja2 environment every page renders through, with BigCare's filters."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup

from bigcare.config import TEMPLATES_DIR
from bigcare.db import KST


def _auth_context(request: Request) -> dict[str, Any]:
    """Who is looking (for the menu, with its count of open review items) and the CSRF
    token every form carries."""
    return {
        "actor": getattr(request.state, "actor", None),
        "csrf_token": getattr(request.state, "csrf_token", None),
        "review_open": getattr(request.state, "review_open", None),
    }


templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[_auth_context])


def _number(value: int | float | None) -> str:
    """1234567 → 1,234,567 (Korean pages group thousands with commas)."""
    return "" if value is None else f"{value:,}"


def _kst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC time in Seoul time; naive values are taken as UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(KST).strftime(fmt)


templates.env.filters["number"] = _number
templates.env.filters["kst"] = _kst


# Case notes: CommonMark with raw HTML escaped, links only to the web or mail (markdown-it's
# own check already drops javascript: and vbscript:), no images (they would fetch from
# outside), and links that pass no referrer or ranking to where they go.
_notes_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")
_notes_markdown.validateLink = lambda url: url.lower().startswith(  # type: ignore[method-assign]
    ("http://", "https://", "mailto:")
)


def _link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
    return str(renderer.renderToken(tokens, idx, options, env))


_notes_markdown.add_render_rule("link_open", _link_open)


def _markdown(text: str | None) -> Markup:
    """A case note's Markdown as safe HTML (raw HTML in the note shows as text)."""
    return Markup(_notes_markdown.render(text or ""))  # noqa: S704 (rendered with html off)


templates.env.filters["markdown"] = _markdown
