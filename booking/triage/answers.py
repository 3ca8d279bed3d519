"""Checking a patient's raw answers against the questionnaire, before any rule sees them.

Accepted shapes: single_choice a string option, multi_choice a list of distinct string options,
boolean `true`/`false`, integer a whole number within the question's range. `null` means "not
answered". Everything else is an `InvalidAnswers` naming each question (`answers.<id>`); JSON never
reaches the rules unchecked, so no input can make the engine fail.
"""

from collections.abc import Mapping
from typing import Any

from booking.triage.exceptions import InvalidAnswers
from booking.triage.questionnaire import Question, Questionnaire

Answer = str | bool | int | list[str]
Answers = dict[str, Answer]

_MAX_SHOWN_CHARS = 40


def validate_answers(raw: Mapping[str, Any], questionnaire: Questionnaire) -> Answers:
    """The answered questions, each checked; InvalidAnswers lists every problem found."""
    problems: list[tuple[str, str]] = []
    known = ", ".join(question.id for question in questionnaire.questions)
    for key in raw:
        if questionnaire.question(key) is None:
            problems.append((_shown(key), f"is not a question of this questionnaire; questions: {known}"))
    answers: Answers = {}
    for question in questionnaire.questions:
        value = raw.get(question.id)
        if value is None:
            if question.required:
                problems.append((question.id, "is required"))
            continue
        problem = _problem(question, value)
        if problem:
            problems.append((question.id, problem))
        else:
            answers[question.id] = value
    if problems:
        raise InvalidAnswers(problems)
    return answers


def _problem(question: Question, value: Any) -> str | None:
    if question.type == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if question.type == "integer":
        in_range = (
            isinstance(value, int)
            and not isinstance(value, bool)
            and question.min is not None
            and question.max is not None
            and question.min <= value <= question.max
        )
        return None if in_range else f"must be a whole number from {question.min} to {question.max}"
    choices = ", ".join(question.values)
    if question.type == "single_choice":
        if isinstance(value, str) and value in question.values:
            return None
        return f"{_value(value)} is not an option; choose one of: {choices}"
    return _multi_choice_problem(question, value, choices)


def _multi_choice_problem(question: Question, value: Any, choices: str) -> str | None:
    if not isinstance(value, list):
        return f"must be a list of options from: {choices}"
    # Checked before looking at the items, so a huge list costs nothing.
    if len(value) > len(question.values):
        return f"has {len(value)} items, more than the {len(question.values)} options; choose from: {choices}"
    for item in value:
        if not isinstance(item, str) or item not in question.values:
            return f"{_value(item)} is not an option; choose from: {choices}"
    if len(set(value)) != len(value):
        return "lists an option more than once"
    if question.required and not value:
        hint = " ('none' if none apply)" if "none" in question.values else ""
        return f"choose at least one option{hint}"
    return None


def _value(value: Any) -> str:
    """How an offending value is named in a message: short, in JSON terms, never the whole input."""
    if isinstance(value, str):
        return repr(_shown(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    # Never repr() a number: Python refuses to print integers of more than 4300 digits.
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN_CHARS else text[:_MAX_SHOWN_CHARS] + "..."
