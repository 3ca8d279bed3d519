"""The triage engine: a pure function from checked answers to a plan, under one rule set.

    answers ──► rules that fire ──► urgency (the most urgent; `emergency` stops here: nothing to book)
                                └─► service lines: excluded lines dropped, the best-supported lead
                                    is primary, every other line named is an adjunct
                                └─► reasons (one per rule that shaped the plan) and a message

How rules compete is described at the top of the rule file (rules/v1.toml). No database, no clock:
the same answers under the same rule set always give the same result.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from booking.triage.answers import Answer
from booking.triage.questionnaire import Language
from booking.triage.ruleset import DEFAULT_REASON_ID, Condition, Rule, RuleSet, Urgency

Role = Literal["primary", "adjunct"]
_URGENCY_RANK: dict[Urgency, int] = {"routine": 0, "soon": 1, "emergency": 2}


@dataclass(frozen=True)
class PlannedLine:
    code: str
    role: Role
    name: str


@dataclass(frozen=True)
class Reason:
    rule: str
    text: str
    source: str


@dataclass(frozen=True)
class TriageResult:
    rules_version: str
    language: Language
    urgency: Urgency
    service_lines: tuple[PlannedLine, ...]
    recommended_service: str | None
    reasons: tuple[Reason, ...]
    message: str
    fired_rules: tuple[str, ...]

    @property
    def primary(self) -> str | None:
        return next((line.code for line in self.service_lines if line.role == "primary"), None)

    @property
    def adjuncts(self) -> tuple[str, ...]:
        return tuple(line.code for line in self.service_lines if line.role == "adjunct")


def assess(answers: Mapping[str, Answer], ruleset: RuleSet, *, language: Language = "en") -> TriageResult:
    """The plan for answers already checked by `validate_answers`."""
    fired = [rule for rule in ruleset.rules if _fires(rule, answers)]
    urgency = max(
        (rule.urgency or "routine" for rule in fired), key=_URGENCY_RANK.__getitem__, default="routine"
    )
    if urgency == "emergency":
        stopping = [rule for rule in fired if rule.urgency == "emergency"]
        return TriageResult(
            rules_version=ruleset.version,
            language=language,
            urgency=urgency,
            service_lines=(),
            recommended_service=None,
            reasons=tuple(_reason(rule.id, rule.reason(language), rule.source) for rule in stopping),
            message=ruleset.messages.emergency(language),
            fired_rules=tuple(rule.id for rule in fired),
        )

    excluded = {line for rule in fired for line in rule.exclude}
    ranked = _rank_lines(fired, excluded, ruleset)
    led = any(rule.lead and rule.lead not in excluded for rule in fired)
    if not led:
        fallback = _fallback_line(ruleset, excluded)
        ranked = [fallback, *(line for line in ranked if line != fallback)]
    primary, adjuncts = ranked[0], ranked[1:]

    # A rule whose only effect was excluded (PT held back by a red flag) explains nothing in this plan.
    shaping = [rule for rule in fired if rule.urgency or set(rule.lines) - excluded]
    # Read in this order: why it is urgent, why the primary line leads, why each adjunct joins.
    urgent = [rule for rule in shaping if rule.urgency]
    leading = [rule for rule in shaping if not rule.urgency and rule.lead == primary]
    joining = [rule for rule in shaping if not rule.urgency and rule.lead != primary]
    reasons = [_reason(rule.id, rule.reason(language), rule.source) for rule in urgent + leading]
    if not led:
        reasons.append(_reason(DEFAULT_REASON_ID, ruleset.default.reason(language), ruleset.default.source))
    reasons += [_reason(rule.id, rule.reason(language), rule.source) for rule in joining]

    return TriageResult(
        rules_version=ruleset.version,
        language=language,
        urgency=urgency,
        service_lines=tuple(
            PlannedLine(code, "primary" if code == primary else "adjunct", ruleset.lines[code].name(language))
            for code in ranked
        ),
        recommended_service=ruleset.lines[primary].recommended_service,
        reasons=tuple(reasons),
        message=_message(ruleset, urgency, primary, adjuncts, language),
        fired_rules=tuple(rule.id for rule in fired),
    )


def _fires(rule: Rule, answers: Mapping[str, Answer]) -> bool:
    return all(_holds(condition, answers.get(question)) for question, condition in rule.when.items())


def _holds(condition: Condition, answer: Answer | None) -> bool:
    """Whether one answer meets a condition; a skipped question meets only `none_of`."""
    chosen = set(answer) if isinstance(answer, list) else {answer} if isinstance(answer, str) else set()
    if condition.any is not None and not chosen & set(condition.any):
        return False
    if condition.none_of is not None and chosen & set(condition.none_of):
        return False
    if condition.equals is not None and not (isinstance(answer, bool) and answer == condition.equals):
        return False
    number = answer if isinstance(answer, int) and not isinstance(answer, bool) else None
    if condition.at_least is not None and (number is None or number < condition.at_least):
        return False
    return not (condition.at_most is not None and (number is None or number > condition.at_most))


def _rank_lines(fired: list[Rule], excluded: set[str], ruleset: RuleSet) -> list[str]:
    """Lines in the plan, best supported first: highest lead priority, more leads at it, tie_break."""
    top: dict[str, int] = {}
    for rule in fired:
        for line in rule.lines:
            if line not in excluded:
                priority = rule.priority if rule.lead == line and rule.priority else 0
                top[line] = max(top.get(line, 0), priority)
    backers = {
        line: sum(1 for rule in fired if rule.lead == line and rule.priority == top[line]) for line in top
    }
    return sorted(top, key=lambda line: (-top[line], -backers[line], ruleset.tie_break.index(line)))


def _fallback_line(ruleset: RuleSet, excluded: set[str]) -> str:
    if ruleset.default.line not in excluded:
        return ruleset.default.line
    # Loading refuses a rule that excludes every line, so one is always left.
    return next(line for line in ruleset.tie_break if line not in excluded)


def _reason(rule_id: str, text: str, source: str) -> Reason:
    return Reason(rule=rule_id, text=text, source=source)


def _message(
    ruleset: RuleSet, urgency: Urgency, primary: str, adjuncts: list[str], language: Language
) -> str:
    messages, spec = ruleset.messages, ruleset.lines[primary]
    values = {"visit": spec.visit(language), "line": spec.name(language), "lines": ""}
    template = messages.soon if urgency == "soon" else messages.routine
    message = template(language).format(**values)
    if adjuncts:
        names = [ruleset.lines[code].name(language) for code in adjuncts]
        joined = (
            ", ".join(names[:-1]) + messages.list_and(language) + names[-1] if len(names) > 1 else names[0]
        )
        message += " " + messages.adjuncts(language).format(**(values | {"lines": joined}))
    return message
