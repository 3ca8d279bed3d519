"""`python main.py triage-vignettes`: the clinical review of the rules, as a clinician runs it."""

from typer.testing import CliRunner

from booking.triage.vignettes import VIGNETTES
from main import cli


class TestTriageVignettesCommand:
    def test_prints_every_vignette_outcome_and_succeeds_when_all_match(self):
        result = CliRunner().invoke(cli, ["triage-vignettes"])

        assert result.exit_code == 0
        assert all(f"[ok] {vignette.name}:" in result.output for vignette in VIGNETTES)
        assert "result:  emergency; no service line; book nothing" in result.output
        assert result.output.rstrip().endswith(f"{len(VIGNETTES)} vignettes under rules v1: 0 mismatch(es)")

    def test_reasons_in_spanish_for_a_spanish_speaking_reviewer(self):
        result = CliRunner().invoke(cli, ["triage-vignettes", "--lang", "es"])

        assert result.exit_code == 0
        assert "El dolor que dura más de 3 meses" in result.output

    def test_unoffered_language_is_a_usage_error(self):
        result = CliRunner().invoke(cli, ["triage-vignettes", "--lang", "fr"])

        assert result.exit_code == 2
