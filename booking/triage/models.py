"""The stored triage assessment and the triage API's request and response models."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, CheckConstraint, Column, Text
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from booking.triage.questionnaire import Language, QuestionType
from booking.triage.ruleset import Urgency
from core.database import UTCDateTime, utc_now
from core.schemas import InputModel

# --- table ----------------------------------------------------------------------------------------


class TriageAssessment(SQLModel, table=True):
    """One questionnaire, answered and assessed. The result is stored as it was given (texts in the
    patient's language), so it reads the same after the rules change."""

    __tablename__ = "triage_assessment"
    __table_args__ = (
        CheckConstraint("urgency IN ('emergency', 'soon', 'routine')", name="urgency_values"),
        # Emergency means nothing to book; the database keeps that true whatever writes the row.
        CheckConstraint(
            "(urgency = 'emergency') = (recommended_service IS NULL)", name="emergency_books_nothing"
        ),
    )
    # A random UUID, not a sequence: the row holds health answers, so its id must not be guessable.
    id: str = SQLField(primary_key=True, max_length=36)
    created_at: datetime = SQLField(default_factory=utc_now, sa_type=UTCDateTime)
    rules_version: str = SQLField(max_length=20)
    language: str = SQLField(max_length=8)
    answers: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    urgency: str = SQLField(max_length=16)
    primary_service_line: str | None = SQLField(default=None, max_length=40)
    recommended_service: str | None = SQLField(default=None, max_length=60)
    service_lines: list[dict[str, Any]] = SQLField(sa_column=Column(JSON, nullable=False))
    reasons: list[dict[str, Any]] = SQLField(sa_column=Column(JSON, nullable=False))
    message: str = SQLField(sa_type=Text)


# --- questionnaire --------------------------------------------------------------------------------


class QuestionOptionPublic(BaseModel):
    value: str | bool
    label: str


class QuestionPublic(BaseModel):
    id: str
    text: str
    type: QuestionType
    options: list[QuestionOptionPublic] = Field(
        description="the accepted values; a multi_choice answer is a list of them"
    )
    required: bool
    min: int | None = Field(default=None, description="integer questions: the smallest accepted answer")
    max: int | None = Field(default=None, description="integer questions: the largest accepted answer")


class QuestionnairePublic(BaseModel):
    version: str = Field(description="the rules version answers are assessed under")
    language: Language
    notice: str
    questions: list[QuestionPublic]


# --- assessment -----------------------------------------------------------------------------------

_EXAMPLE_ANSWERS = {
    "red_flags": ["none"],
    "pain_area": "low_back",
    "duration": "over_3_months",
    "pain_character": ["aching_stiffness"],
    "severity": 6,
    "tried_pt": "yes_no_change",
    "main_goal": "restore_function",
}


class TriageSubmission(InputModel):
    answers: dict[str, Any] = Field(
        description="question id -> answer, as `GET /v1/triage/questionnaire` describes; "
        "`null` or a missing key means not answered",
        examples=[_EXAMPLE_ANSWERS],
    )


class ServiceLineRole(BaseModel):
    code: str
    role: Literal["primary", "adjunct"]
    name: str = ""


class TriageReasonPublic(BaseModel):
    rule: str = Field(description="id of the rule that gave this reason")
    text: str
    source: str = Field(default="", description="the clinical source the rule comes from")


class TriageAssessmentPublic(BaseModel):
    id: str
    rules_version: str
    urgency: Urgency
    service_lines: list[ServiceLineRole] = Field(description="primary first; empty for an emergency")
    recommended_service: str | None = Field(
        description="code of the online-bookable visit of the primary line; null for an emergency"
    )
    reasons: list[TriageReasonPublic]
    message: str
    language: Language
    answers: dict[str, Any]
    created_at: datetime
