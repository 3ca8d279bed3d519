"""Properties that hold for every answer set the questionnaire accepts, and for any JSON at all."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.triage.answers import validate_answers
from booking.triage.engine import assess
from booking.triage.exceptions import InvalidAnswers
from booking.triage.questionnaire import Question, load_questionnaire
from booking.triage.ruleset import current_ruleset

QUESTIONNAIRE = load_questionnaire()
RULESET = current_ruleset()
EMERGENCY_FLAGS = {
    "bladder_bowel_control_loss",
    "saddle_numbness",
    "progressive_leg_weakness",
    "recent_major_trauma",
}


def answer_to(question: Question) -> st.SearchStrategy[Any]:
    if question.type == "single_choice":
        return st.sampled_from(question.values)
    if question.type == "multi_choice":
        return st.lists(
            st.sampled_from(question.values),
            unique=True,
            min_size=int(question.required),
            max_size=len(question.values),
        )
    if question.type == "boolean":
        return st.booleans()
    return st.integers(min_value=question.min, max_value=question.max)


valid_answers = st.fixed_dictionaries(
    {q.id: answer_to(q) for q in QUESTIONNAIRE.questions if q.required},
    optional={q.id: answer_to(q) for q in QUESTIONNAIRE.questions if not q.required},
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=12) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
question_ids = st.sampled_from([q.id for q in QUESTIONNAIRE.questions])


@settings(max_examples=400)
@given(answers=valid_answers, language=st.sampled_from(["en", "es"]))
def test_every_valid_answer_set_gets_one_coherent_plan(answers, language):
    assert validate_answers(answers, QUESTIONNAIRE) == answers
    result = assess(answers, RULESET, language=language)
    codes = [line.code for line in result.service_lines]

    assert result.reasons, "every result says why"
    assert all(reason.text for reason in result.reasons)
    assert len(codes) == len(set(codes)), "no service line twice"
    if result.urgency == "emergency":
        assert codes == [] and result.recommended_service is None
    else:
        assert [line.role for line in result.service_lines].count("primary") == 1
        assert result.service_lines[0].role == "primary"
        assert result.recommended_service == RULESET.lines[codes[0]].recommended_service
    fired = set(result.fired_rules) | {"default"}
    assert {reason.rule for reason in result.reasons} <= fired


@settings(max_examples=400)
@given(answers=valid_answers)
def test_any_red_flag_is_never_routine(answers):
    flags = set(answers["red_flags"]) - {"none"}
    result = assess(answers, RULESET)

    if flags & EMERGENCY_FLAGS:
        assert result.urgency == "emergency"
    elif flags:
        assert result.urgency == "soon"
        assert "physical_therapy" not in [line.code for line in result.service_lines], "never PT first"
    else:
        assert result.urgency == "routine"


@settings(max_examples=200)
@given(answers=valid_answers)
def test_spanish_gives_the_same_plan_in_other_words(answers):
    english, spanish = assess(answers, RULESET, language="en"), assess(answers, RULESET, language="es")

    assert (spanish.urgency, spanish.primary, spanish.adjuncts) == (
        english.urgency,
        english.primary,
        english.adjuncts,
    )
    assert [r.rule for r in spanish.reasons] == [r.rule for r in english.reasons]
    assert spanish.message != english.message


@settings(max_examples=500)
@given(
    raw=st.dictionaries(question_ids | st.text(max_size=12), json_values, max_size=8)
    | st.fixed_dictionaries({}, optional={q.id: json_values | answer_to(q) for q in QUESTIONNAIRE.questions})
)
def test_any_json_object_is_accepted_or_refused_naming_each_question(raw):
    try:
        answers = validate_answers(raw, QUESTIONNAIRE)
    except InvalidAnswers as error:
        assert error.errors
        assert all(
            e.field.startswith("answers.") and e.location == "body" and e.message for e in error.errors
        )
    else:
        assert assess(answers, RULESET).reasons
