"""Base classes shared by every domain's request and response models."""

from datetime import time
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer, field_validator

NUL_MESSAGE = "must not contain NUL (\\x00) characters"


def _refuse_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


# Text from a query parameter: PostgreSQL cannot compare text holding NUL (the driver raises), and no
# name, code or place holds one, so it is a 422 naming the parameter rather than a 500.
Text = Annotated[str, AfterValidator(_refuse_nul)]

# A site's local wall-clock time of day (opening hours, working hours), shown as HH:MM.
WallClockTime = Annotated[time, PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str)]


class InputModel(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul_characters(cls, value: Any) -> Any:
        # JSON may carry "\u0000"; PostgreSQL cannot store it (the driver raises), and no real name,
        # code or address holds one, so it is a 422 on the field rather than a 500 at the database.
        if _holds_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return False
