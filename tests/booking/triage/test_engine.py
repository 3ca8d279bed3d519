"""The pure engine against the clinical vignettes and the rules' tie-breaking, without a database."""

import pytest

from booking.triage.answers import validate_answers
from booking.triage.engine import assess
from booking.triage.questionnaire import load_questionnaire
from booking.triage.ruleset import current_ruleset, parse_ruleset
from booking.triage.vignettes import VIGNETTES, review_vignettes

IP, PT, PM = "interventional_pain", "physical_therapy", "physiatry"
NO_FLAGS = {"red_flags": ["none"], "pain_area": "low_back", "duration": "under_6_weeks"}


def triage(language="en", **answers):
    return assess(
        validate_answers(NO_FLAGS | answers, load_questionnaire()), current_ruleset(), language=language
    )


class TestVignettes:
    @pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
    def test_gives_the_plan_a_clinician_expects(self, vignette):
        result = assess(vignette.answers, current_ruleset())

        assert vignette.mismatches(result) == []

    @pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
    def test_answers_are_ones_the_questionnaire_accepts(self, vignette):
        assert validate_answers(vignette.answers, load_questionnaire()) == vignette.answers

    def test_cover_every_red_flag_and_neurological_condition(self):
        flags = {flag for v in VIGNETTES for flag in v.answers["red_flags"]}  # type: ignore[union-attr]
        conditions = {c for v in VIGNETTES for c in v.answers.get("neurological_condition", [])}  # type: ignore[union-attr]
        questionnaire = load_questionnaire()

        assert flags == set(questionnaire.question("red_flags").values)  # type: ignore[union-attr]
        assert conditions == set(questionnaire.question("neurological_condition").values) - {"none"}  # type: ignore[union-attr]
        assert len(VIGNETTES) >= 25

    def test_review_reports_a_mismatch_when_the_rules_disagree(self):
        # The same rules with chronic pain sent to physical therapy first: the review must notice.
        rule = 'id = "pain_over_3_months"\nwhen.duration.any = ["over_3_months"]\n'
        rule += 'when.pain_area.none_of = ["no_pain"]\nlead = '
        v1 = _v1_text()
        assert rule + '"interventional_pain"' in v1
        text = v1.replace(rule + '"interventional_pain"', rule + '"physical_therapy"')
        report, mismatches = review_vignettes(ruleset=parse_ruleset(text, load_questionnaire()))

        assert mismatches >= 1
        assert "[MISMATCH] chronic_low_back" in report
        assert "primary: expected interventional_pain, got physical_therapy" in report


class TestRedFlags:
    @pytest.mark.parametrize(
        "flag",
        ["bladder_bowel_control_loss", "saddle_numbness", "progressive_leg_weakness", "recent_major_trauma"],
    )
    def test_emergency_flag_offers_nothing_to_book_and_says_call_911(self, flag):
        result = triage(red_flags=[flag], duration="over_3_months", tried_pt="yes_worse")

        assert result.urgency == "emergency"
        assert result.service_lines == ()
        assert result.recommended_service is None
        assert "911" in result.message and "emergency department" in result.message
        assert [reason.rule for reason in result.reasons] == [f"red_flag_{flag}"]

    @pytest.mark.parametrize("flag", ["fever_with_back_pain", "cancer_history_or_weight_loss"])
    def test_soon_flag_sends_to_a_physician_and_holds_back_physical_therapy(self, flag):
        result = triage(red_flags=[flag], pain_character=["aching_stiffness"], main_goal="return_to_activity")

        assert result.urgency == "soon"
        assert result.primary == IP
        assert PT not in {line.code for line in result.service_lines}
        assert result.recommended_service == "pain_consultation"
        # Reasons for physical therapy would contradict the plan, so they are left out.
        assert [reason.rule for reason in result.reasons] == [f"red_flag_{flag}"]

    def test_emergency_message_in_spanish_says_call_911(self):
        result = triage(language="es", red_flags=["saddle_numbness"])

        assert "Llame al 911" in result.message
        assert "emergencia" in result.reasons[0].text


class TestCombinedPlan:
    def test_reasons_explain_urgency_then_the_primary_then_the_adjuncts(self):
        result = triage(
            red_flags=["cancer_history_or_weight_loss"],
            neurological_condition=["stroke"],
            medication_dependency=True,
        )

        assert [reason.rule for reason in result.reasons] == [
            "red_flag_cancer_history_or_weight_loss",
            "disabling_neurological_condition",
            "medication_dependency",
        ]
        assert [(line.code, line.role) for line in result.service_lines] == [(PM, "primary"), (IP, "adjunct")]

    def test_message_names_the_visit_and_every_adjunct(self):
        result = triage(duration="over_3_months", neurological_condition=["spinal_cord_injury"])

        assert result.message == (
            "We suggest starting with a physiatry consultation "
            "(physiatry (physical medicine and rehabilitation)). "
            "Your plan can also include interventional pain management and physical therapy, "
            "as part of a combined approach."
        )

    def test_spanish_plan_has_spanish_message_and_line_names(self):
        result = triage(language="es", duration="over_3_months")

        assert result.message.startswith("Le sugerimos empezar con una consulta de manejo del dolor")
        assert [line.name for line in result.service_lines] == [
            "manejo intervencionista del dolor",
            "terapia física",
        ]

    def test_skipped_optional_questions_still_give_a_plan(self):
        result = triage()

        assert result.primary == PT
        assert result.reasons


MINIMAL_RULES = """
version = "v9"
tie_break = ["physical_therapy", "physiatry", "interventional_pain"]
[lines.physical_therapy]
recommended_service = "pt_evaluation"
name = {en = "PT", es = "TF"}
visit = {en = "a PT visit", es = "una visita de TF"}
[lines.physiatry]
recommended_service = "physiatry_consultation"
name = {en = "PM", es = "FI"}
visit = {en = "a PM visit", es = "una visita de FI"}
[lines.interventional_pain]
recommended_service = "pain_consultation"
name = {en = "IP", es = "DI"}
visit = {en = "an IP visit", es = "una visita de DI"}
[messages]
emergency = {en = "Call 911.", es = "Llame al 911."}
soon = {en = "Soon: {visit}.", es = "Pronto: {visit}."}
routine = {en = "Book {visit}.", es = "Reserve {visit}."}
adjuncts = {en = "Also {lines}.", es = "También {lines}."}
list_and = {en = " and ", es = " y "}
[default]
line = "physiatry"
reason = {en = "Nothing else fits.", es = "Nada más encaja."}
source = "test"
"""


def _rule(rule_id, when, **effect):
    lines = ["[[rules]]", f'id = "{rule_id}"', f"when = {when}"]
    lines += [f"{key} = {value!r}".replace("'", '"') for key, value in effect.items()]
    lines += ['reason = {en = "because", es = "porque"}', 'source = "test"']
    return "\n".join(lines) + "\n"


def _plan(rules_text, **answers):
    ruleset = parse_ruleset(MINIMAL_RULES + rules_text, load_questionnaire())
    result = assess(validate_answers(NO_FLAGS | answers, load_questionnaire()), ruleset)
    return result.primary, result.adjuncts, [reason.rule for reason in result.reasons]


class TestCompetingRules:
    def test_higher_priority_leads_and_the_other_line_joins(self):
        rules = _rule("a", '{duration = {any = ["under_6_weeks"]}}', lead=PT, priority=30)
        rules += _rule("b", '{pain_area = {any = ["low_back"]}}', lead=IP, priority=50)

        assert _plan(rules)[:2] == (IP, (PT,))

    def test_more_rules_at_the_top_priority_win_a_tie(self):
        rules = _rule("a", '{duration = {any = ["under_6_weeks"]}}', lead=PT, priority=50)
        rules += _rule("b", '{pain_area = {any = ["low_back"]}}', lead=IP, priority=50)
        rules += _rule("c", "{medication_dependency = {equals = true}}", lead=IP, priority=50)

        assert _plan(rules, medication_dependency=True)[:2] == (IP, (PT,))
        assert _plan(rules, medication_dependency=False)[:2] == (PT, (IP,))

    def test_no_rule_leading_falls_back_to_the_default_with_its_reason(self):
        rules = _rule("a", '{pain_area = {any = ["neck"]}}', lead=IP, priority=50)
        rules += _rule("b", '{duration = {any = ["under_6_weeks"]}}', adjuncts=[PT])

        assert _plan(rules) == (PM, (PT,), ["default", "b"])

    def test_a_skipped_question_matches_only_none_of(self):
        rules = _rule("a", '{tried_pt = {none_of = ["yes_worse"]}}', lead=PT, priority=50)
        rules += _rule("b", "{severity = {at_most = 3}}", lead=IP, priority=60)

        assert _plan(rules)[0] == PT
        assert _plan(rules, severity=2)[0] == IP


def _v1_text():
    from booking.triage.questionnaire import read_data_file

    return read_data_file("v1.toml")
