"""Base classes shared by every domain's request and response models."""

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
