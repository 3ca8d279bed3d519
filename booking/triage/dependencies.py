from typing import Annotated

from fastapi import Depends, Header, Query

from booking.triage.exceptions import UnsupportedLanguage
from booking.triage.questionnaire import LANGUAGES, Language


def requested_language(
    lang: Annotated[
        str | None,
        Query(max_length=35, description="`en` or `es`; wins over Accept-Language", examples=["es"]),
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Language:
    """The language asked for: `?lang=`, else the best Accept-Language match, else English."""
    if lang is not None:
        language = _supported(lang)
        if language is None:
            raise UnsupportedLanguage(lang, LANGUAGES)
        return language
    for tag in _by_preference(accept_language or ""):
        language = _supported(tag)
        if language is not None:
            return language
    return "en"


RequestedLanguage = Annotated[Language, Depends(requested_language)]


def _supported(tag: str) -> Language | None:
    """`es`, `es-MX`, `ES` -> "es"; a language we do not offer -> None."""
    primary = tag.strip().lower().split("-")[0]
    return next((language for language in LANGUAGES if language == primary), None)


def _by_preference(header: str) -> list[str]:
    """Accept-Language tags, most wanted first (RFC 9110 quality values); unparsable parts skipped."""
    weighted = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag.strip() and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]
