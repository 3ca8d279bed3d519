from core.errors import FieldError, InvalidInputError, NotFoundError

# A request with thousands of bad keys still gets a readable answer, not thousands of errors.
MAX_REPORTED_ERRORS = 20


class AssessmentNotFound(NotFoundError):
    def __init__(self) -> None:
        super().__init__("No triage assessment with this id.")


class InvalidAnswers(InvalidInputError):
    """Answers the questionnaire does not accept; each error names its question as `answers.<id>`."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        shown = problems[:MAX_REPORTED_ERRORS]
        errors = [
            FieldError(field=f"answers.{question_id}", location="body", message=message)
            for question_id, message in shown
        ]
        names = ", ".join(dict.fromkeys(error.field for error in errors))
        more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
        super().__init__(f"Check these answers: {names}{more}.", errors=errors)
        self.problems = problems


class UnsupportedLanguage(InvalidInputError):
    def __init__(self, requested: str, supported: tuple[str, ...]) -> None:
        error = InvalidInputError.for_field(
            "lang",
            f"{requested[:20]!r} is not offered; choose one of: {', '.join(supported)}",
            location="query",
        )
        super().__init__(error.detail, errors=error.errors)
