"""The data files: the shipped ones load, and a mistake in a rules file is a load error, not a silent miss."""

import pytest

from booking.triage.questionnaire import RulesError, load_questionnaire, parse_questionnaire, read_data_file
from booking.triage.ruleset import CURRENT_RULES_VERSION, current_ruleset, load_ruleset, parse_ruleset
from locations.demo import SERVICES

V1 = read_data_file("v1.toml")
QUESTIONNAIRE = read_data_file("questionnaire.toml")
# One rule of v1, quoted exactly, to be broken in different ways.
SHOOTING_RULE = """id = "shooting_pain"
when.pain_character.any = ["shooting_or_radiating"]
lead = "interventional_pain"
priority = 50"""


def load_with(rule_text: str) -> None:
    assert SHOOTING_RULE in V1
    parse_ruleset(V1.replace(SHOOTING_RULE, rule_text), load_questionnaire())


class TestShippedFiles:
    def test_current_rules_are_v1_and_load(self):
        assert CURRENT_RULES_VERSION == "v1"
        assert current_ruleset().version == "v1"

    def test_questionnaire_has_the_issue_questions_with_their_types(self):
        questionnaire = load_questionnaire()
        types = {question.id: (question.type, question.required) for question in questionnaire.questions}

        assert types == {
            "red_flags": ("multi_choice", True),
            "pain_area": ("single_choice", True),
            "duration": ("single_choice", True),
            "pain_character": ("multi_choice", False),
            "severity": ("integer", False),
            "tried_pt": ("single_choice", False),
            "limited_mobility_despite_exercise": ("boolean", False),
            "medication_dependency": ("boolean", False),
            "recent_surgery": ("boolean", False),
            "neurological_condition": ("multi_choice", False),
            "main_goal": ("single_choice", False),
        }

    def test_each_line_recommends_an_online_bookable_demo_visit_of_that_line(self):
        demo = {code: (line, online) for code, _name, line, _minutes, online, _text in SERVICES}

        for code, line in current_ruleset().lines.items():
            assert demo[line.recommended_service] == (code, True)

    def test_an_unknown_version_is_a_load_error(self):
        with pytest.raises(RulesError, match="no file rules/v999.toml"):
            load_ruleset("v999")


class TestRulesFileMistakes:
    def test_unknown_question_id(self):
        with pytest.raises(RulesError, match="rule shooting_pain, question pain_kind: unknown question"):
            load_with(SHOOTING_RULE.replace("when.pain_character", "when.pain_kind"))

    def test_unknown_option_value(self):
        with pytest.raises(
            RulesError, match="rule shooting_pain, question pain_character: unknown value 'stabbing'"
        ):
            load_with(SHOOTING_RULE.replace('"shooting_or_radiating"', '"stabbing"'))

    def test_operator_that_does_not_fit_the_question(self):
        with pytest.raises(RulesError, match="`equals` does not apply to a multi_choice question"):
            load_with(SHOOTING_RULE.replace('.any = ["shooting_or_radiating"]', ".equals = true"))

    def test_integer_bound_outside_the_question_range(self):
        with pytest.raises(RulesError, match="rule shooting_pain, question severity: 11 is outside 0..10"):
            load_with(
                SHOOTING_RULE.replace(
                    'pain_character.any = ["shooting_or_radiating"]', "severity.at_least = 11"
                )
            )

    def test_a_string_where_a_boolean_belongs(self):
        where = "rules.shooting_pain.when.recent_surgery.equals"
        with pytest.raises(RulesError, match=f"{where}: Input should be a valid boolean"):
            load_with(
                SHOOTING_RULE.replace(
                    'pain_character.any = ["shooting_or_radiating"]', 'recent_surgery.equals = "yes"'
                )
            )

    def test_unknown_service_line(self):
        with pytest.raises(RulesError, match="rule shooting_pain: unknown service line 'chiropractic'"):
            load_with(SHOOTING_RULE.replace('lead = "interventional_pain"', 'lead = "chiropractic"'))

    def test_lead_without_priority(self):
        with pytest.raises(RulesError, match="`lead` and `priority` go together"):
            load_with(SHOOTING_RULE.replace("priority = 50", ""))

    def test_repeated_rule_id(self):
        with pytest.raises(RulesError, match="rule id 'severe_pain' is used twice"):
            load_with(SHOOTING_RULE.replace('id = "shooting_pain"', 'id = "severe_pain"'))

    def test_an_emergency_that_books_a_line(self):
        with pytest.raises(RulesError, match="an emergency books nothing"):
            load_with(SHOOTING_RULE + '\nurgency = "emergency"')

    def test_unknown_field_in_a_rule(self):
        with pytest.raises(RulesError, match="rules.shooting_pain.weight: Extra inputs are not permitted"):
            load_with(SHOOTING_RULE + "\nweight = 3")

    def test_a_reason_without_its_spanish_text(self):
        text = V1.replace('reason.es = "El dolor punzante sugiere', 'reason.fr = "El dolor punzante sugiere')
        with pytest.raises(RulesError, match="rules.shooting_pain.reason.es: Field required"):
            parse_ruleset(text, load_questionnaire())

    def test_unknown_placeholder_in_a_message(self):
        text = V1.replace(
            'routine.en = "We suggest starting with {visit}', 'routine.en = "We suggest {doctor}'
        )
        with pytest.raises(RulesError, match=r"messages.routine.en: unknown placeholder \{doctor\}"):
            parse_ruleset(text, load_questionnaire())

    def test_not_toml(self):
        with pytest.raises(RulesError, match="not valid TOML"):
            parse_ruleset(V1 + "\n[[rules]\n", load_questionnaire())

    def test_every_problem_is_listed_at_once(self):
        broken = SHOOTING_RULE.replace("when.pain_character", "when.pain_kind").replace(
            '"interventional_pain"', '"chiropractic"'
        )
        with pytest.raises(RulesError) as error:
            load_with(broken)

        assert "unknown question" in str(error.value) and "unknown service line" in str(error.value)


class TestQuestionnaireFileMistakes:
    def test_repeated_question_id(self):
        text = QUESTIONNAIRE.replace('id = "main_goal"', 'id = "duration"')
        with pytest.raises(RulesError, match="question ids repeat: duration"):
            parse_questionnaire(text)

    def test_choice_question_without_options(self):
        text = QUESTIONNAIRE.replace(
            'id = "severity"\ntype = "integer"', 'id = "severity"\ntype = "single_choice"'
        )
        with pytest.raises(RulesError, match="question severity"):
            parse_questionnaire(text)

    def test_a_rule_loses_its_question_when_the_questionnaire_drops_it(self):
        questionnaire = parse_questionnaire(QUESTIONNAIRE.replace('id = "tried_pt"', 'id = "had_therapy"'))
        with pytest.raises(RulesError, match="question tried_pt: unknown question"):
            parse_ruleset(V1, questionnaire)
