"""Triage as the API uses it: serve the questionnaire, assess and store answers, read assessments.

The pure parts live beside this module (answers.py checks, engine.py decides); this one adds the
database. `assess_and_store` is one unit of work and commits it.
"""

import uuid
from typing import Any

from sqlmodel import Session

from booking.triage import questionnaire as triage_questionnaire
from booking.triage import ruleset as triage_rules
from booking.triage.answers import validate_answers
from booking.triage.engine import TriageResult, assess
from booking.triage.exceptions import AssessmentNotFound
from booking.triage.models import (
    QuestionnairePublic,
    QuestionOptionPublic,
    QuestionPublic,
    TriageAssessment,
    TriageAssessmentPublic,
)
from booking.triage.questionnaire import Language


def get_questionnaire(*, language: Language) -> QuestionnairePublic:
    """The questions to answer, in the requested language, with the rules version they feed."""
    questionnaire = triage_questionnaire.load_questionnaire()
    booleans = [(True, questionnaire.yes(language)), (False, questionnaire.no(language))]
    return QuestionnairePublic(
        version=triage_rules.current_ruleset().version,
        language=language,
        notice=questionnaire.notice(language),
        questions=[
            QuestionPublic(
                id=question.id,
                text=question.text(language),
                type=question.type,
                options=[QuestionOptionPublic(value=value, label=label) for value, label in booleans]
                if question.type == "boolean"
                else [QuestionOptionPublic(value=o.value, label=o.label(language)) for o in question.options],
                required=question.required,
                min=question.min,
                max=question.max,
            )
            for question in questionnaire.questions
        ],
    )


def assess_and_store(*, session: Session, answers: dict[str, Any], language: Language) -> TriageAssessment:
    """Check the answers, assess them under the current rules and store the assessment."""
    checked = validate_answers(answers, triage_questionnaire.load_questionnaire())
    result = assess(checked, triage_rules.current_ruleset(), language=language)
    assessment = _to_row(result, checked)
    session.add(assessment)
    session.commit()
    return assessment


def get_assessment(*, session: Session, assessment_id: str) -> TriageAssessment:
    """A stored assessment by id; an unknown or malformed id is AssessmentNotFound."""
    if not _is_uuid(assessment_id):
        raise AssessmentNotFound()
    assessment = session.get(TriageAssessment, assessment_id)
    if assessment is None:
        raise AssessmentNotFound()
    return assessment


def present_assessment(assessment: TriageAssessment) -> TriageAssessmentPublic:
    return TriageAssessmentPublic.model_validate(assessment, from_attributes=True)


def _to_row(result: TriageResult, answers: dict[str, Any]) -> TriageAssessment:
    return TriageAssessment(
        id=str(uuid.uuid4()),
        rules_version=result.rules_version,
        language=result.language,
        answers=answers,
        urgency=result.urgency,
        primary_service_line=result.primary,
        recommended_service=result.recommended_service,
        service_lines=[
            {"code": line.code, "role": line.role, "name": line.name} for line in result.service_lines
        ],
        reasons=[
            {"rule": reason.rule, "text": reason.text, "source": reason.source} for reason in result.reasons
        ],
        message=result.message,
    )


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
