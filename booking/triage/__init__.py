"""Triage: from a patient's answers to the right service line, with reasons, and a hard stop at red flags.

    rules/questionnaire.toml, rules/v1.toml   the questions and the clinical rules, as data (en + es)
    questionnaire.py, ruleset.py              load those files and refuse any inconsistency
    answers.py                                check raw answers against the questionnaire (422s)
    engine.py                                 pure: answers + rule set -> urgency, lines, reasons
    vignettes.py                              clinical cases the rules are held to (tests, CLI review)
    service.py, router.py                     store and serve assessments (/v1/triage)

A rules change is a new rules file; stored assessments keep the version and texts they were given under.
"""
