"""Clinical vignettes: patients described by their answers, with the plan a clinician expects.

The tests hold the engine to this table, and `python main.py triage-vignettes` prints each outcome
so a clinician can review a rules change before it ships.
"""

from dataclasses import dataclass, field

from booking.triage.answers import Answer, Answers
from booking.triage.engine import TriageResult, assess
from booking.triage.questionnaire import Language
from booking.triage.ruleset import RuleSet, Urgency, current_ruleset

IP, PT, PM = "interventional_pain", "physical_therapy", "physiatry"


@dataclass(frozen=True)
class Vignette:
    name: str
    story: str
    source: str
    answers: Answers
    urgency: Urgency
    primary: str | None
    adjuncts: frozenset[str] = field(default_factory=frozenset)

    def mismatches(self, result: TriageResult) -> list[str]:
        expected = {"urgency": self.urgency, "primary": self.primary, "adjuncts": self.adjuncts}
        got = {"urgency": result.urgency, "primary": result.primary, "adjuncts": frozenset(result.adjuncts)}
        return [
            f"{key}: expected {expected[key]}, got {got[key]}"
            for key in expected
            if expected[key] != got[key]
        ]


def _answers(**answers: Answer) -> Answers:
    """Only the required questions answered, a patient with no red flag; the rest as given."""
    required: Answers = {"red_flags": ["none"], "pain_area": "low_back", "duration": "under_6_weeks"}
    return required | answers


# (urgency, primary line, *adjunct lines)
Expect = tuple[Urgency, None] | tuple[Urgency, str] | tuple[Urgency, str, str] | tuple[Urgency, str, str, str]


def _vignette(name: str, story: str, source: str, answers: Answers, expect: Expect) -> Vignette:
    urgency, primary, *adjuncts = expect
    return Vignette(name, story, source, answers, urgency, primary, frozenset(adjuncts))


S000 = "seed 000 table"
VIGNETTES: tuple[Vignette, ...] = (
    # Seed 000, "Signs You Might Need Pain Management in Addition to PT", one row at a time.
    _vignette(
        "chronic_low_back",
        "Aching low back pain for 5 months",
        f"{S000}: pain over 3 months",
        _answers(duration="over_3_months", pain_character=["aching_stiffness"], severity=5),
        ("routine", IP, PT),
    ),
    _vignette(
        "worse_despite_pt",
        "Neck pain for 2 months, worse after six weeks of PT",
        f"{S000}: pain that worsens despite PT",
        _answers(pain_area="neck", duration="6_weeks_to_3_months", tried_pt="yes_worse"),
        ("routine", IP, PT),
    ),
    _vignette(
        "shooting_pain",
        "Recent low back pain with shooting pains",
        f"{S000}: shooting pain",
        _answers(pain_character=["shooting_or_radiating"], severity=6),
        ("routine", IP, PT),
    ),
    _vignette(
        "severe_flare_up",
        "Knee pain for 3 weeks, 8 out of 10 at its worst, no nerve signs",
        f"{S000}: severe flare-ups, in addition to PT",
        _answers(pain_area="joint", pain_character=["sharp_with_movement"], severity=8),
        ("routine", PT, IP),
    ),
    _vignette(
        "limited_mobility",
        "Stiff hip for a month that exercise has not loosened",
        f"{S000}: limited mobility despite exercise",
        _answers(pain_area="joint", limited_mobility_despite_exercise=True),
        ("routine", IP, PT),
    ),
    _vignette(
        "medication_dependency",
        "Neck pain for 5 weeks, relying on pain pills daily",
        f"{S000}: dependency on pain medications",
        _answers(pain_area="neck", medication_dependency=True),
        ("routine", IP, PT),
    ),
    # Seed 000's PT-versus-pain-clinic breakdown and PT limitations.
    _vignette(
        "recent_back_strain",
        "Low back strain from lifting 10 days ago, aching, 4 out of 10",
        "seed 000: PT is ideal for musculoskeletal pain",
        _answers(pain_character=["aching_stiffness"], severity=4, tried_pt="no"),
        ("routine", PT),
    ),
    _vignette(
        "runner_knee",
        "Runner's knee for 7 weeks, sharp on stairs, wants to run again",
        "seed 000: PT for musculoskeletal pain; seed 003: conditioning prevents relapse",
        _answers(
            pain_area="joint",
            duration="6_weeks_to_3_months",
            pain_character=["sharp_with_movement"],
            main_goal="return_to_activity",
        ),
        ("routine", PT),
    ),
    _vignette(
        "no_change_with_pt",
        "Back pain for 2 months, PT changed nothing",
        "seed 000: pain not improving with PT alone",
        _answers(duration="6_weeks_to_3_months", tried_pt="yes_no_change"),
        ("routine", IP, PT),
    ),
    _vignette(
        "sciatica",
        "Pain down the leg for 3 weeks",
        "seed 000 and 003: sciatica",
        _answers(pain_area="radiating_limb", pain_character=["shooting_or_radiating"]),
        ("routine", IP, PT),
    ),
    _vignette(
        "neuropathic",
        "Burning and tingling in the neck and hands for a month",
        "seed 000: PT limited for nerve damage; seed 003: neuropathic pain",
        _answers(pain_area="neck", pain_character=["burning_numbness_tingling"]),
        ("routine", IP, PT),
    ),
    _vignette(
        "widespread",
        "Pain in many places for 4 months",
        "seed 000: unexplained pain needs diagnosis",
        _answers(pain_area="widespread", duration="over_3_months"),
        ("routine", IP, PT),
    ),
    _vignette(
        "chronic_pain_relief_goal",
        "Isolated chronic low back pain, wants relief",
        "seed 001: pain management for isolated chronic pain",
        _answers(duration="over_3_months", main_goal="pain_relief", severity=7),
        ("routine", IP, PT),
    ),
    # Seed 001: physiatry leads rehabilitation of disabling neurological conditions.
    _vignette(
        "stroke",
        "Six months after a stroke, wants to dress and walk alone again",
        "seed 001: stroke",
        _answers(
            pain_area="no_pain",
            duration="over_3_months",
            neurological_condition=["stroke"],
            main_goal="restore_function",
        ),
        ("routine", PM, PT),
    ),
    _vignette(
        "spinal_cord_injury",
        "Spinal cord injury with back pain",
        "seed 001: spinal cord injury",
        _answers(duration="over_3_months", neurological_condition=["spinal_cord_injury"]),
        ("routine", PM, PT, IP),
    ),
    _vignette(
        "brain_injury",
        "Recovering from a brain injury, no pain",
        "seed 001: brain injury",
        _answers(pain_area="no_pain", neurological_condition=["brain_injury"]),
        ("routine", PM, PT),
    ),
    _vignette(
        "multiple_sclerosis",
        "Multiple sclerosis, stiff aching legs",
        "seed 001: other disabling conditions",
        _answers(
            pain_area="joint",
            pain_character=["aching_stiffness"],
            neurological_condition=["other_neurological"],
        ),
        ("routine", PM, PT),
    ),
    _vignette(
        "stroke_with_chronic_pain",
        "After a stroke, shoulder pain for 6 months, on daily pain pills",
        "seed 001: the physiatrist integrates pain care into functional restoration",
        _answers(
            pain_area="joint",
            duration="over_3_months",
            medication_dependency=True,
            neurological_condition=["stroke"],
            main_goal="pain_relief",
        ),
        ("routine", PM, IP, PT),
    ),
    # Red flags, each on its own and over otherwise routine answers.
    _vignette(
        "cauda_equina_bladder",
        "Back pain with new loss of bladder control",
        "issue 3: red flag",
        _answers(red_flags=["bladder_bowel_control_loss"]),
        ("emergency", None),
    ),
    _vignette(
        "cauda_equina_saddle",
        "Sciatica with numbness in the groin",
        "issue 3: red flag",
        _answers(red_flags=["saddle_numbness"], pain_area="radiating_limb"),
        ("emergency", None),
    ),
    _vignette(
        "progressive_weakness",
        "Leg getting weaker by the day",
        "issue 3: red flag",
        _answers(red_flags=["progressive_leg_weakness"], pain_area="radiating_limb"),
        ("emergency", None),
    ),
    _vignette(
        "major_trauma",
        "Neck pain after a car crash yesterday",
        "issue 3: red flag",
        _answers(red_flags=["recent_major_trauma"], pain_area="neck"),
        ("emergency", None),
    ),
    _vignette(
        "fever_back_pain",
        "Back pain with fever",
        "issue 3: red flag, physician soon, never PT first",
        _answers(red_flags=["fever_with_back_pain"], pain_character=["aching_stiffness"]),
        ("soon", IP),
    ),
    _vignette(
        "cancer_history",
        "Back pain for 2 months, history of breast cancer",
        "issue 3: red flag",
        _answers(
            red_flags=["cancer_history_or_weight_loss"],
            duration="6_weeks_to_3_months",
            main_goal="return_to_activity",
        ),
        ("soon", IP),
    ),
    # Where rules compete.
    _vignette(
        "red_flag_over_easy_case",
        "A recent back strain, but new saddle numbness",
        "red flags win over everything",
        _answers(red_flags=["saddle_numbness"], pain_character=["aching_stiffness"], tried_pt="yes_improved"),
        ("emergency", None),
    ),
    _vignette(
        "none_ticked_with_a_flag",
        "Ticked 'none' and also loss of bowel control",
        "a red flag is never cancelled by 'none'",
        _answers(red_flags=["none", "bladder_bowel_control_loss"]),
        ("emergency", None),
    ),
    _vignette(
        "emergency_beats_soon",
        "Fever with back pain after a bad fall",
        "emergency outranks soon",
        _answers(red_flags=["fever_with_back_pain", "recent_major_trauma"]),
        ("emergency", None),
    ),
    _vignette(
        "soon_with_stroke",
        "History of cancer, after a stroke",
        "physician first; PT waits",
        _answers(red_flags=["cancer_history_or_weight_loss"], neurological_condition=["stroke"]),
        ("soon", PM, IP),
    ),
    _vignette(
        "post_surgical_recent",
        "Knee replacement 4 weeks ago, sore",
        "seed 000: post-surgical, combined",
        _answers(pain_area="joint", recent_surgery=True, main_goal="restore_function"),
        ("routine", PT, IP),
    ),
    _vignette(
        "post_surgical_chronic",
        "Back surgery, pain still there after 4 months",
        "seed 000: post-surgical complications, PT slow alone",
        _answers(duration="over_3_months", recent_surgery=True),
        ("routine", IP, PT),
    ),
    _vignette(
        "chronic_but_pt_helping",
        "Back pain for 4 months, improving with PT",
        "seed 000: pain management when PT alone does not help",
        _answers(duration="over_3_months", tried_pt="yes_improved"),
        ("routine", PT, IP),
    ),
    _vignette(
        "pt_helping_many_signs",
        "Recent neck pain, PT helps, but stiff despite exercise and on pills",
        "two seed 000 signs outweigh PT helping",
        _answers(
            pain_area="neck",
            tried_pt="yes_improved",
            limited_mobility_despite_exercise=True,
            medication_dependency=True,
        ),
        ("routine", IP, PT),
    ),
    _vignette(
        "no_pain_back_to_sport",
        "No pain, wants to get back to sport safely",
        "seed 000: PT prevents injury",
        _answers(pain_area="no_pain", main_goal="return_to_activity"),
        ("routine", PT),
    ),
)


def review_vignettes(*, ruleset: RuleSet | None = None, language: Language = "en") -> tuple[str, int]:
    """A report of every vignette's outcome under the rule set, and how many differ from expected."""
    ruleset = ruleset or current_ruleset()
    report, failures = [], 0
    for vignette in VIGNETTES:
        result = assess(vignette.answers, ruleset, language=language)
        mismatches = vignette.mismatches(result)
        failures += bool(mismatches)
        lines = ", ".join(f"{line.code} ({line.role})" for line in result.service_lines) or "no service line"
        report.append(f"[{'MISMATCH' if mismatches else 'ok'}] {vignette.name}: {vignette.story}")
        report.append(f"    source:  {vignette.source}")
        report.append(
            f"    result:  {result.urgency}; {lines}; book {result.recommended_service or 'nothing'}"
        )
        report += [f"    !! {mismatch}" for mismatch in mismatches]
        report += [f"    why ({reason.rule}): {reason.text}" for reason in result.reasons]
    report.append(f"{len(VIGNETTES)} vignettes under rules {ruleset.version}: {failures} mismatch(es)")
    return "\n".join(report), failures
