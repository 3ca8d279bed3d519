"""Routes of the pages: each renders a template shell; the page's script does the rest through the API.

    GET /            patient booking (triage -> recommendation -> nearest sites -> slot -> details)
    GET /manage      a patient's appointment, opened by ?code=&token= (cancel, move)
    GET /staff       the call-center console (staff login)
    GET /embed       the patient flow, compact, for a partner's iframe (?key=pk_...)
    GET /widget.js   the partner's one-tag embed script

Pages choose their language from `?lang=`, else the browser's Accept-Language, else English.
"""

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from web.translations import LANGUAGES, STRINGS

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
STATIC_URL = "/static/web"

templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.undefined = StrictUndefined  # a missing string is an error in tests, not a blank on the page
router = APIRouter(include_in_schema=False)  # pages, not API: kept out of the OpenAPI document

LangQuery = Annotated[str | None, Query(max_length=35)]


@lru_cache(maxsize=1)
def asset_version() -> str:
    """A digest of the static files, appended to their URLs so a deploy is never served stale."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def page_language(request: Request, lang: str | None) -> str:
    """`?lang=` when we offer it, else the first offered Accept-Language tag, else English.

    An unknown `?lang=` falls back instead of failing: a page should always render."""
    candidates = [lang] if lang else []
    header = request.headers.get("accept-language", "")
    candidates += [part.split(";")[0] for part in header.split(",")[:20]]
    for tag in candidates:
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES:
            return primary
    return "en"


def _render(request: Request, template: str, lang: str | None, **context: Any) -> HTMLResponse:
    language = page_language(request, lang)
    other = "es" if language == "en" else "en"
    # The switch keeps the rest of the address (a manage link's code and token, a widget's key).
    switch_query = urlencode({**request.query_params, "lang": other})
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": language,
            "t": STRINGS[language],
            "strings": STRINGS[language],
            "other_lang": other,
            "switch_url": f"{request.url.path}?{switch_query}",
            "static": STATIC_URL,
            "version": asset_version(),
            **context,
        },
        headers={"Content-Language": language, "Vary": "Accept-Language"},
    )


@router.get("/", response_class=HTMLResponse)
def patient_page(request: Request, lang: LangQuery = None) -> HTMLResponse:
    """The patient booking page."""
    return _render(request, "patient.html", lang, embed=False, partner_key="")


@router.get("/embed", response_class=HTMLResponse)
def embed_page(
    request: Request, key: Annotated[str, Query(max_length=200)] = "", lang: LangQuery = None
) -> HTMLResponse:
    """The patient flow for a partner's iframe; the key goes out as `X-Partner-Key` on every call."""
    return _render(request, "patient.html", lang, embed=True, partner_key=key)


@router.get("/manage", response_class=HTMLResponse)
def manage_page(request: Request, lang: LangQuery = None) -> HTMLResponse:
    """A patient's appointment: see it, cancel it or move it (code and token come from the link)."""
    return _render(request, "manage.html", lang)


@router.get("/staff", response_class=HTMLResponse)
def staff_page(request: Request, lang: LangQuery = None) -> HTMLResponse:
    """The call-center console."""
    return _render(request, "staff.html", lang)


@router.get("/widget.js")
def widget_script() -> FileResponse:
    """The partner's embed script. At the root, not under /static, so the tag's URL stays stable."""
    return FileResponse(
        STATIC_DIR / "widget.js",
        media_type="text/javascript; charset=utf-8",
        # Partners' pages load it on every view; an hour of caching, revalidated by ETag after.
        headers={"Cache-Control": "public, max-age=3600"},
    )
