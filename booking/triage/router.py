"""Public triage endpoints (contract v1 in PRODUCT.md)."""

from fastapi import APIRouter, Response

from booking.triage import service
from booking.triage.dependencies import RequestedLanguage
from booking.triage.models import QuestionnairePublic, TriageAssessmentPublic, TriageSubmission
from core.database import SessionDep
from core.errors import problem_responses

router = APIRouter(prefix="/v1/triage", tags=["triage"])


@router.get("/questionnaire", response_model=QuestionnairePublic, responses=problem_responses(422))
def get_questionnaire(language: RequestedLanguage, response: Response) -> QuestionnairePublic:
    """The triage questions with their answer options, in English or Spanish (`?lang=es`)."""
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"
    return service.get_questionnaire(language=language)


@router.post("", response_model=TriageAssessmentPublic, status_code=201, responses=problem_responses(422))
def submit_triage(
    session: SessionDep, language: RequestedLanguage, data: TriageSubmission, response: Response
) -> TriageAssessmentPublic:
    """Assess answers: urgency, primary and adjunct service lines, the visit to book, and why."""
    assessment = service.assess_and_store(session=session, answers=data.answers, language=language)
    response.headers["Location"] = f"{router.prefix}/{assessment.id}"
    response.headers["Content-Language"] = language
    return service.present_assessment(assessment)


@router.get("/{assessment_id}", response_model=TriageAssessmentPublic, responses=problem_responses(404))
def get_triage(session: SessionDep, assessment_id: str) -> TriageAssessmentPublic:
    """A stored assessment as it was given, with the rules version it was made under."""
    assessment = service.get_assessment(session=session, assessment_id=assessment_id)
    return service.present_assessment(assessment)
