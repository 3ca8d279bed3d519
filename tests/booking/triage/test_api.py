"""The triage API as a patient's browser or the call-center console uses it (contract v1)."""

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from booking.triage import ruleset as triage_rules
from booking.triage.models import TriageAssessment
from booking.triage.questionnaire import load_questionnaire, read_data_file

NO_FLAGS = {"red_flags": ["none"], "pain_area": "low_back", "duration": "under_6_weeks"}
CHRONIC_BACK = NO_FLAGS | {"duration": "over_3_months", "pain_character": ["aching_stiffness"], "severity": 6}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=20), inner, max_size=5),
    max_leaves=15,
)
answer_keys = st.sampled_from(["red_flags", "pain_area", "duration", "severity", "pain_character"]) | st.text(
    max_size=8
)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
# Client and session are per test; the examples share them, which is fine for "never a 500".
fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def stored_count(session) -> int:
    return session.exec(select(func.count()).select_from(TriageAssessment)).one()


def submit(client, answers, **kwargs):
    return client.post("/v1/triage", json={"answers": answers}, **kwargs)


class TestGetQuestionnaire:
    def test_lists_every_question_with_its_type_options_and_whether_required(self, client):
        response = client.get("/v1/triage/questionnaire")

        assert response.status_code == 200
        body = response.json()
        assert body["version"] == "v1"
        questions = {q["id"]: q for q in body["questions"]}
        assert set(questions) >= {
            "red_flags",
            "pain_area",
            "duration",
            "pain_character",
            "severity",
            "tried_pt",
            "limited_mobility_despite_exercise",
            "medication_dependency",
            "recent_surgery",
            "neurological_condition",
            "main_goal",
        }
        red_flags = questions["red_flags"]
        assert (red_flags["type"], red_flags["required"]) == ("multi_choice", True)
        assert [o["value"] for o in red_flags["options"]] == [
            "bladder_bowel_control_loss",
            "saddle_numbness",
            "progressive_leg_weakness",
            "fever_with_back_pain",
            "cancer_history_or_weight_loss",
            "recent_major_trauma",
            "none",
        ]
        assert all(q["text"] and all(o["label"] for o in q["options"]) for q in body["questions"])

    def test_severity_carries_its_range_and_yes_no_questions_their_values(self, client):
        questions = {q["id"]: q for q in client.get("/v1/triage/questionnaire").json()["questions"]}

        assert (
            questions["severity"]["type"],
            questions["severity"]["min"],
            questions["severity"]["max"],
        ) == (
            "integer",
            0,
            10,
        )
        assert questions["recent_surgery"]["type"] == "boolean"
        assert [o["value"] for o in questions["recent_surgery"]["options"]] == [True, False]

    def test_english_by_default(self, client):
        response = client.get("/v1/triage/questionnaire")

        questions = {q["id"]: q for q in response.json()["questions"]}
        assert response.json()["language"] == "en"
        assert response.headers["content-language"] == "en"
        assert questions["pain_area"]["text"] == "Where is your main pain?"

    def test_spanish_with_lang_query(self, client):
        body = client.get("/v1/triage/questionnaire", params={"lang": "es"}).json()

        questions = {q["id"]: q for q in body["questions"]}
        assert body["language"] == "es"
        assert questions["pain_area"]["text"] == "¿Dónde está su dolor principal?"
        assert {o["value"]: o["label"] for o in questions["pain_area"]["options"]}[
            "no_pain"
        ] == "No tengo dolor"
        assert "911" in body["notice"]

    def test_spanish_from_the_browser_accept_language(self, client):
        response = client.get(
            "/v1/triage/questionnaire", headers={"Accept-Language": "fr;q=1, es-MX;q=0.9, en;q=0.5"}
        )

        assert response.json()["language"] == "es"

    def test_lang_query_wins_over_accept_language(self, client):
        response = client.get("/v1/triage/questionnaire?lang=en", headers={"Accept-Language": "es"})

        assert response.json()["language"] == "en"

    def test_unoffered_browser_language_falls_back_to_english(self, client):
        response = client.get("/v1/triage/questionnaire", headers={"Accept-Language": "de-DE,fr;q=0.8"})

        assert response.json()["language"] == "en"

    def test_unoffered_lang_query_is_422_naming_lang(self, client):
        response = client.get("/v1/triage/questionnaire", params={"lang": "fr"})

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "lang"


class TestSubmitTriage:
    def test_chronic_back_pain_gets_pain_management_first_with_pt_joining(self, client, session):
        response = submit(client, CHRONIC_BACK)

        assert response.status_code == 201
        body = response.json()
        assert set(body) >= {
            "id",
            "rules_version",
            "urgency",
            "service_lines",
            "recommended_service",
            "reasons",
            "message",
        }
        assert body["rules_version"] == "v1"
        assert body["urgency"] == "routine"
        assert [(line["code"], line["role"]) for line in body["service_lines"]] == [
            ("interventional_pain", "primary"),
            ("physical_therapy", "adjunct"),
        ]
        assert body["recommended_service"] == "pain_consultation"
        assert body["reasons"][0]["rule"] == "pain_over_3_months"
        assert "3 months" in body["reasons"][0]["text"]
        assert body["message"].startswith("We suggest starting with a pain management consultation")
        assert response.headers["location"] == f"/v1/triage/{body['id']}"
        assert stored_count(session) == 1

    def test_recent_strain_goes_to_physical_therapy_first(self, client):
        body = submit(client, NO_FLAGS | {"pain_character": ["aching_stiffness"], "tried_pt": "no"}).json()

        assert [(line["code"], line["role"]) for line in body["service_lines"]] == [
            ("physical_therapy", "primary")
        ]
        assert body["recommended_service"] == "pt_evaluation"

    def test_stroke_goes_to_physiatry_with_pt_as_adjunct(self, client):
        body = submit(
            client, NO_FLAGS | {"pain_area": "no_pain", "neurological_condition": ["stroke"]}
        ).json()

        assert [(line["code"], line["role"]) for line in body["service_lines"]] == [
            ("physiatry", "primary"),
            ("physical_therapy", "adjunct"),
        ]
        assert body["recommended_service"] == "physiatry_consultation"

    def test_red_flag_gives_emergency_and_nothing_to_book(self, client, session):
        response = submit(
            client, CHRONIC_BACK | {"red_flags": ["saddle_numbness"], "tried_pt": "yes_improved"}
        )

        assert response.status_code == 201
        body = response.json()
        assert body["urgency"] == "emergency"
        assert body["service_lines"] == []
        assert body["recommended_service"] is None
        assert "Call 911" in body["message"] and "emergency department" in body["message"]
        assert [reason["rule"] for reason in body["reasons"]] == ["red_flag_saddle_numbness"]
        assert session.get(TriageAssessment, body["id"]).urgency == "emergency"

    def test_fever_with_back_pain_sees_a_physician_soon_never_pt_first(self, client):
        body = submit(client, NO_FLAGS | {"red_flags": ["fever_with_back_pain"]}).json()

        assert body["urgency"] == "soon"
        assert body["service_lines"] == [
            {"code": "interventional_pain", "role": "primary", "name": "interventional pain management"}
        ]
        assert body["recommended_service"] == "pain_consultation"

    def test_spanish_request_gets_spanish_reasons_and_message(self, client):
        body = submit(client, CHRONIC_BACK, params={"lang": "es"}).json()

        assert body["language"] == "es"
        assert body["reasons"][0]["text"].startswith("El dolor que dura más de 3 meses")
        assert body["message"].startswith("Le sugerimos empezar con una consulta de manejo del dolor")

    def test_spanish_emergency_says_call_911(self, client):
        body = submit(
            client, NO_FLAGS | {"red_flags": ["recent_major_trauma"]}, headers={"Accept-Language": "es"}
        ).json()

        assert body["urgency"] == "emergency"
        assert "Llame al 911" in body["message"]

    @pytest.mark.usefixtures("demo")
    def test_recommended_visits_are_bookable_online_in_the_demo_network(self, client):
        for answers in (CHRONIC_BACK, NO_FLAGS, NO_FLAGS | {"neurological_condition": ["brain_injury"]}):
            body = submit(client, answers).json()
            primary = body["service_lines"][0]["code"]

            services = client.get("/v1/services", params={"service_line": primary}).json()
            assert {"code": body["recommended_service"], "bookable_online": True} in [
                {"code": s["code"], "bookable_online": s["bookable_online"]} for s in services
            ]

    def test_answers_are_stored_with_the_result(self, client, session):
        answers = NO_FLAGS | {"severity": 3, "recent_surgery": False, "main_goal": None}
        body = submit(client, answers).json()

        row = session.get(TriageAssessment, body["id"])
        assert row.answers == NO_FLAGS | {"severity": 3, "recent_surgery": False}
        assert (row.rules_version, row.language, row.primary_service_line) == ("v1", "en", "physical_therapy")
        assert uuid.UUID(body["id"]).version == 4


INVALID_ANSWERS = [
    pytest.param(
        NO_FLAGS | {"pain_level": 5}, "answers.pain_level", "is not a question", id="unknown-question"
    ),
    pytest.param(
        NO_FLAGS | {"pain_area": "foot"}, "answers.pain_area", "'foot' is not an option", id="unknown-value"
    ),
    pytest.param(
        NO_FLAGS | {"pain_character": ["aching_stiffness", "throbbing"]},
        "answers.pain_character",
        "'throbbing' is not an option",
        id="unknown-value-in-a-list",
    ),
    pytest.param(
        NO_FLAGS | {"severity": "7"}, "answers.severity", "whole number from 0 to 10", id="text-for-integer"
    ),
    pytest.param(NO_FLAGS | {"severity": True}, "answers.severity", "whole number", id="boolean-for-integer"),
    pytest.param(NO_FLAGS | {"severity": 6.5}, "answers.severity", "whole number", id="fraction-for-integer"),
    pytest.param(NO_FLAGS | {"severity": 11}, "answers.severity", "from 0 to 10", id="integer-above-range"),
    pytest.param(NO_FLAGS | {"severity": -1}, "answers.severity", "from 0 to 10", id="integer-below-range"),
    pytest.param(
        NO_FLAGS | {"recent_surgery": "yes"}, "answers.recent_surgery", "true or false", id="text-for-boolean"
    ),
    pytest.param(
        NO_FLAGS | {"medication_dependency": 1},
        "answers.medication_dependency",
        "true or false",
        id="number-for-boolean",
    ),
    pytest.param(NO_FLAGS | {"red_flags": "none"}, "answers.red_flags", "must be a list", id="text-for-list"),
    pytest.param(
        NO_FLAGS | {"pain_area": ["low_back"]},
        "answers.pain_area",
        "a list is not an option",
        id="list-for-single-choice",
    ),
    pytest.param(
        NO_FLAGS | {"neurological_condition": [{"stroke": True}]},
        "answers.neurological_condition",
        "an object is not an option",
        id="object-in-a-list",
    ),
    pytest.param(
        NO_FLAGS | {"pain_character": ["aching_stiffness"] * 2},
        "answers.pain_character",
        "more than once",
        id="repeated-option",
    ),
    pytest.param(
        NO_FLAGS | {"pain_character": ["aching_stiffness"] * 100_000},
        "answers.pain_character",
        "more than the 4 options",
        id="huge-list",
    ),
    pytest.param(
        NO_FLAGS | {"red_flags": []},
        "answers.red_flags",
        "at least one option ('none' if none apply)",
        id="no-red-flag-answer",
    ),
    pytest.param(
        {"red_flags": ["none"], "pain_area": "neck"}, "answers.duration", "is required", id="missing-duration"
    ),
    pytest.param(
        {"pain_area": "neck", "duration": "under_6_weeks"},
        "answers.red_flags",
        "is required",
        id="missing-red-flags",
    ),
    pytest.param(
        NO_FLAGS | {"pain_area": None}, "answers.pain_area", "is required", id="null-required-answer"
    ),
]


class TestSubmitTriageValidation:
    @pytest.mark.parametrize(("answers", "field", "message"), INVALID_ANSWERS)
    def test_bad_answer_is_422_naming_the_question_and_stores_nothing(
        self, client, session, answers, field, message
    ):
        response = submit(client, answers)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        errors = response.json()["errors"]
        assert [(e["field"], e["location"]) for e in errors] == [(field, "body")]
        assert message in errors[0]["message"]
        assert field in response.json()["detail"]
        assert stored_count(session) == 0

    def test_every_problem_is_reported_at_once(self, client, session):
        response = submit(client, {"pain_area": "foot", "severity": 99, "mood": "fine"})

        assert response.status_code == 422
        assert {e["field"] for e in response.json()["errors"]} == {
            "answers.mood",
            "answers.red_flags",
            "answers.pain_area",
            "answers.duration",
            "answers.severity",
        }
        assert stored_count(session) == 0

    def test_thousands_of_unknown_questions_get_a_short_answer(self, client, session):
        response = submit(client, NO_FLAGS | {f"q{i}": i for i in range(5000)})

        assert response.status_code == 422
        assert len(response.json()["errors"]) == 20
        assert "(and 4980 more)" in response.json()["detail"]
        assert stored_count(session) == 0

    @pytest.mark.parametrize("answers", [["red_flags", "none"], "low_back", None, 7], ids=repr)
    def test_answers_that_are_not_an_object_are_422(self, client, session, answers):
        response = client.post("/v1/triage", json={"answers": answers})

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["answers"]
        assert stored_count(session) == 0

    @pytest.mark.parametrize(
        ("body", "field"),
        [({}, "answers"), ({"answers": NO_FLAGS, "urgency": "routine"}, "urgency"), ([NO_FLAGS], "body")],
        ids=["no-answers", "extra-field", "list-body"],
    )
    def test_malformed_body_is_422_naming_the_field(self, client, session, body, field):
        response = client.post("/v1/triage", json=body)

        assert response.status_code == 422
        assert field in [e["field"] for e in response.json()["errors"]]
        assert stored_count(session) == 0

    def test_invalid_json_is_422(self, client, session):
        response = client.post(
            "/v1/triage", content=b'{"answers": {', headers={"Content-Type": "application/json"}
        )

        assert response.status_code == 422
        assert stored_count(session) == 0

    def test_a_number_too_long_to_read_is_refused_not_a_500(self, client, session):
        body = b'{"answers": {"red_flags": ["none"], "pain_area": "neck", "duration": "under_6_weeks", '
        body += b'"severity": '
        response = client.post(
            "/v1/triage", content=body + b"9" * 5000 + b"}}", headers={"Content-Type": "application/json"}
        )

        # The JSON parser refuses integers over 4300 digits before any triage code runs (FastAPI: 400).
        assert response.status_code in (400, 422)
        assert response.headers["content-type"] == "application/problem+json"
        assert stored_count(session) == 0

    def test_a_large_but_readable_number_is_out_of_range(self, client, session):
        response = submit(client, NO_FLAGS | {"severity": 10**300})

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "answers.severity"
        assert stored_count(session) == 0


class TestNoInputIsA500:
    @fuzz
    @given(
        body=json_values
        | st.dictionaries(st.just("answers"), st.dictionaries(answer_keys, json_values, max_size=6)),
        lang=st.none() | header_text,
        accept_language=header_text,
    )
    def test_submit(self, client, body, lang, accept_language):
        params = {} if lang is None else {"lang": lang}
        response = client.post(
            "/v1/triage", json=body, params=params, headers={"Accept-Language": accept_language}
        )

        assert response.status_code in (201, 422)
        if response.status_code == 422:
            assert response.json()["errors"]

    @fuzz
    @given(assessment_id=st.text(max_size=60), lang=header_text)
    def test_read(self, client, assessment_id, lang):
        assert client.get("/v1/triage/questionnaire", params={"lang": lang}).status_code in (200, 422)
        assert client.get("/v1/triage/x", params={"id": assessment_id}).status_code == 404
        assert client.get(f"/v1/triage/{uuid.uuid4()}").status_code == 404


class TestGetTriage:
    def test_returns_the_stored_assessment_as_given(self, client):
        created = submit(client, CHRONIC_BACK, params={"lang": "es"}).json()

        response = client.get(f"/v1/triage/{created['id']}")

        assert response.status_code == 200
        assert response.json() == created
        assert response.json()["answers"] == CHRONIC_BACK

    def test_unknown_id_is_404(self, client):
        response = client.get(f"/v1/triage/{uuid.uuid4()}")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("assessment_id", ["1", "not-an-id", "x" * 500, "%27%20OR%201=1"])
    def test_malformed_id_is_404(self, client, assessment_id):
        assert client.get(f"/v1/triage/{assessment_id}").status_code == 404

    def test_keeps_the_version_and_reasons_it_was_made_under_after_the_rules_change(
        self, client, monkeypatch
    ):
        before = submit(client, CHRONIC_BACK).json()
        v2_text = (
            read_data_file("v1.toml")
            .replace('version = "v1"', 'version = "v2"')
            .replace(
                "Pain lasting longer than 3 months is chronic pain",
                "Pain for over 3 months is long-lasting pain",
            )
        )
        v2 = triage_rules.parse_ruleset(v2_text, load_questionnaire())
        monkeypatch.setattr(triage_rules, "current_ruleset", lambda: v2)

        after = submit(client, CHRONIC_BACK).json()
        reread = client.get(f"/v1/triage/{before['id']}").json()

        assert after["rules_version"] == "v2"
        assert after["reasons"][0]["text"].startswith("Pain for over 3 months")
        assert client.get("/v1/triage/questionnaire").json()["version"] == "v2"
        assert reread == before
        assert reread["reasons"][0]["text"].startswith("Pain lasting longer than 3 months")
