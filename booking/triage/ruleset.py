"""The versioned rule sets, read from `rules/v1.toml` (a rules change is a new file: v2.toml, ...).

Loading checks the file's shape and every reference into the questionnaire: a rule that names an
unknown question, an option the question does not have, an operator that does not fit the question's
type, or an unknown service line is a `RulesError` when the file is loaded, never a rule that
silently never fires.
"""

import string
from functools import lru_cache
from typing import Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from booking.triage.questionnaire import (
    LANGUAGES,
    NAME_PATTERN,
    DataModel,
    Questionnaire,
    RulesError,
    Text,
    load_questionnaire,
    parse_data_file,
    read_data_file,
)

CURRENT_RULES_VERSION = "v1"
Urgency = Literal["emergency", "soon", "routine"]
MESSAGE_PLACEHOLDERS = {"visit", "line", "lines"}
DEFAULT_REASON_ID = "default"  # the `rule` of the reason given when no rule leads


class Condition(DataModel):
    any: tuple[str, ...] | None = Field(default=None, min_length=1)
    none_of: tuple[str, ...] | None = Field(default=None, min_length=1)
    equals: StrictBool | None = None
    at_least: StrictInt | None = None
    at_most: StrictInt | None = None

    @model_validator(mode="after")
    def _has_an_operator(self) -> "Condition":
        if not self.model_dump(exclude_none=True):
            raise ValueError("a condition needs one of: any, none_of, equals, at_least, at_most")
        return self


class Rule(DataModel):
    id: str = Field(pattern=NAME_PATTERN)
    when: dict[str, Condition] = Field(min_length=1)
    urgency: Urgency | None = None
    lead: str | None = None
    priority: StrictInt | None = Field(default=None, ge=1, le=1000)
    adjuncts: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    reason: Text
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent_effect(self) -> "Rule":
        if (self.lead is None) != (self.priority is None):
            raise ValueError(f"rule {self.id}: `lead` and `priority` go together")
        if self.urgency == "emergency" and (self.lead or self.adjuncts or self.exclude):
            raise ValueError(f"rule {self.id}: an emergency books nothing, so it names no service line")
        if not (self.urgency or self.lead or self.adjuncts or self.exclude):
            raise ValueError(f"rule {self.id}: has no effect (urgency, lead, adjuncts or exclude)")
        return self

    @property
    def lines(self) -> tuple[str, ...]:
        """Every service line this rule adds to a plan."""
        return ((self.lead,) if self.lead else ()) + self.adjuncts


class LineSpec(DataModel):
    recommended_service: str = Field(pattern=NAME_PATTERN)
    name: Text
    visit: Text


class Messages(DataModel):
    emergency: Text
    soon: Text
    routine: Text
    adjuncts: Text
    list_and: Text


class Fallback(DataModel):
    line: str
    reason: Text
    source: str = Field(min_length=1)


class RuleSet(DataModel):
    version: str = Field(pattern=r"^v[0-9]+$")
    description: str = ""
    tie_break: tuple[str, ...]
    lines: dict[str, LineSpec] = Field(min_length=1)
    messages: Messages
    default: Fallback
    rules: tuple[Rule, ...] = Field(min_length=1)


# --- loading --------------------------------------------------------------------------------------


def parse_ruleset(text: str, questionnaire: Questionnaire) -> RuleSet:
    """A rule set from TOML text, checked against the questionnaire; RulesError lists every problem."""
    ruleset = parse_data_file(RuleSet, text, what="rules")
    problems = _reference_problems(ruleset, questionnaire)
    if problems:
        raise RulesError(f"rules {ruleset.version}: " + "; ".join(problems))
    return ruleset


@lru_cache
def load_ruleset(version: str = CURRENT_RULES_VERSION) -> RuleSet:
    ruleset = parse_ruleset(read_data_file(f"{version}.toml"), load_questionnaire())
    if ruleset.version != version:
        raise RulesError(f"rules/{version}.toml declares version {ruleset.version!r}")
    return ruleset


def current_ruleset() -> RuleSet:
    """The rule set new assessments are made under."""
    return load_ruleset(CURRENT_RULES_VERSION)


def _reference_problems(ruleset: RuleSet, questionnaire: Questionnaire) -> list[str]:
    problems: list[str] = []
    lines = set(ruleset.lines)
    if sorted(ruleset.tie_break) != sorted(lines):
        problems.append(f"tie_break must list each service line once: {', '.join(sorted(lines))}")
    if ruleset.default.line not in lines:
        problems.append(f"default: unknown service line {ruleset.default.line!r}")
    ids = [rule.id for rule in ruleset.rules]
    if DEFAULT_REASON_ID in ids:
        problems.append(f"rule id {DEFAULT_REASON_ID!r} is reserved for the default's reason")
    problems += [f"rule id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for rule in ruleset.rules:
        for line in (*rule.lines, *rule.exclude):
            if line not in lines:
                problems.append(f"rule {rule.id}: unknown service line {line!r}")
        if lines and set(rule.exclude) >= lines:
            problems.append(f"rule {rule.id}: excludes every service line")
        for question_id, condition in rule.when.items():
            problems += _condition_problems(rule.id, question_id, condition, questionnaire)
    for name in Messages.model_fields:
        for language in LANGUAGES:
            problems += _template_problems(
                f"messages.{name}.{language}", getattr(ruleset.messages, name)(language)
            )
    return problems


def _condition_problems(rule_id: str, question_id: str, condition: Condition, q: Questionnaire) -> list[str]:
    where = f"rule {rule_id}, question {question_id}"
    question = q.question(question_id)
    if question is None:
        return [f"{where}: unknown question"]
    used = set(condition.model_dump(exclude_none=True))
    allowed = {
        "single_choice": {"any", "none_of"},
        "multi_choice": {"any", "none_of"},
        "boolean": {"equals"},
        "integer": {"at_least", "at_most"},
    }[question.type]
    problems = [
        f"{where}: `{op}` does not apply to a {question.type} question" for op in sorted(used - allowed)
    ]
    for value in (*(condition.any or ()), *(condition.none_of or ())):
        if value not in question.values:
            problems.append(f"{where}: unknown value {value!r}; options: {', '.join(question.values)}")
    for bound in (condition.at_least, condition.at_most):
        known_range = question.min is not None and question.max is not None
        if bound is not None and known_range and not question.min <= bound <= question.max:  # type: ignore[operator]
            problems.append(f"{where}: {bound} is outside {question.min}..{question.max}")
    return problems


def _template_problems(where: str, template: str) -> list[str]:
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    unknown = fields - MESSAGE_PLACEHOLDERS
    return [f"{where}: unknown placeholder {{{name}}}" for name in sorted(unknown)]
