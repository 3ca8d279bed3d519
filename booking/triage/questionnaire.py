"""The triage questionnaire, read from `rules/questionnaire.toml`, and what all triage data files share.

Every text exists in English and Spanish (`Text`); a file that does not fit these models is a
`RulesError` when it is loaded.
"""

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)

Language = Literal["en", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "es")
QuestionType = Literal["single_choice", "multi_choice", "boolean", "integer"]
CHOICE_TYPES = ("single_choice", "multi_choice")
NAME_PATTERN = r"^[a-z0-9][a-z0-9_]*$"


class RulesError(ValueError):
    """A questionnaire or rules file that cannot be used as it is."""


class DataModel(BaseModel):
    """Base of the data files' models. Scalars that matter use Strict types: `equals = 1` or
    `priority = "5"` in a rules file is a mistake to report, not a value to coerce."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(DataModel):
    en: str = Field(min_length=1)
    es: str = Field(min_length=1)

    def __call__(self, language: Language) -> str:
        return self.es if language == "es" else self.en


# --- the questionnaire --------------------------------------------------------------------------------


class Option(DataModel):
    value: str = Field(pattern=NAME_PATTERN)
    label: Text


class Question(DataModel):
    id: str = Field(pattern=NAME_PATTERN)
    type: QuestionType
    required: StrictBool = False
    text: Text
    options: tuple[Option, ...] = ()
    min: StrictInt | None = None
    max: StrictInt | None = None

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    @model_validator(mode="after")
    def _fits_its_type(self) -> "Question":
        if self.type in CHOICE_TYPES:
            if len(self.options) < 2:
                raise ValueError(f"question {self.id}: a {self.type} needs at least two options")
            if len(set(self.values)) != len(self.values):
                raise ValueError(f"question {self.id}: option values repeat")
        elif self.options:
            raise ValueError(f"question {self.id}: a {self.type} question has no options")
        if self.type == "integer":
            if self.min is None or self.max is None or self.min >= self.max:
                raise ValueError(f"question {self.id}: an integer question needs min < max")
        elif self.min is not None or self.max is not None:
            raise ValueError(f"question {self.id}: only integer questions have min and max")
        return self


class Questionnaire(DataModel):
    notice: Text
    yes: Text
    no: Text
    questions: tuple[Question, ...] = Field(min_length=1)
    _by_id: dict[str, Question] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Questionnaire":
        ids = [question.id for question in self.questions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"question ids repeat: {', '.join(repeated)}")
        return self

    def model_post_init(self, context: Any) -> None:
        self._by_id.update((question.id, question) for question in self.questions)

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)


def parse_questionnaire(text: str) -> Questionnaire:
    return parse_data_file(Questionnaire, text, what="questionnaire")


@lru_cache
def load_questionnaire() -> Questionnaire:
    return parse_questionnaire(read_data_file("questionnaire.toml"))


# --- reading data files ---------------------------------------------------------------------------

_M = TypeVar("_M", bound=DataModel)


def read_data_file(filename: str) -> str:
    try:
        return (resources.files("booking.triage") / "rules" / filename).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(f"no file rules/{filename}") from None


def parse_data_file(model: type[_M], text: str, *, what: str) -> _M:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{what}: not valid TOML ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_where(data, error['loc']) or what}: {error['msg']}" for error in exc.errors()
        )
        raise RulesError(f"{what}: {problems}") from None


def _where(data: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """`rules.shooting_pain.when` rather than `rules.10.when`: list items named by their id."""
    parts = [str(part) for part in loc]
    if len(loc) > 1 and isinstance(loc[1], int):
        items = data.get(str(loc[0]))
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            parts[1] = item["id"]
    return ".".join(parts)
