"""Parameter help: %otparams, %otsessions --help and the README, all from the parameter table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ot_magic.help import README_END, README_START, parameter_help, readme_section, readme_table
from ot_magic.params import USER_PARAMS

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_parameter_table_is_the_one_generated_from_the_parameter_table():
    assert readme_section(README.read_text("utf-8")) == readme_table(), (
        "README.md is stale: run python -m ot_magic.help --readme README.md"
    )


def test_the_readme_table_has_a_row_for_every_parameter_with_its_default_and_accepted_values():
    table = readme_table()
    for name, param in USER_PARAMS.items():
        (row,) = [line for line in table.splitlines() if line.startswith(f"| `{name}` |")]
        assert f" {param.kind.name} " in row
        assert "<" in param.help or param.help in row  # < and > are written as HTML entities
        assert param.default is None or f"`{param.default}`" in row
    assert "| `includeCountryCode` | countries |  | ISO 3166" in table


def test_the_check_command_fails_on_a_stale_readme_and_the_rewrite_fixes_it(tmp_path):
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n\n{README_START}\nold\n{README_END}\n\nafter\n", "utf-8")
    command = [sys.executable, "-m", "ot_magic.help"]
    check = subprocess.run([*command, "--check", str(stale)], capture_output=True, text=True)
    assert check.returncode == 1 and "stale" in check.stdout
    subprocess.run([*command, "--readme", str(stale)], check=True, capture_output=True)
    text = stale.read_text("utf-8")
    assert text.startswith("# x\n\n") and text.endswith("\n\nafter\n")
    assert subprocess.run([*command, "--check", str(stale)], capture_output=True).returncode == 0


def test_help_groups_the_parameters_as_the_panel_does():
    text = parameter_help()
    main, filters, advanced = (
        text.index(f"\n{title}\n") for title in ("Main", "Filters", "Advanced")
    )
    assert main < text.index("\n  date ") < filters < text.index("\n  search ") < advanced
    assert advanced < text.index("\n  timeZone ")
    assert "  limit" in text and "(int, default 40)" in text
    assert "Accepts: a whole number from 1 to 1000." in text


def test_otparams_finds_parameters_by_everyday_words(ip, capsys):
    ip.run_line_magic("otparams", "referrer")
    out = capsys.readouterr().out
    assert "  search  (words)" in out and "includeCountryCode" not in out
    ip.run_line_magic("otparams", "nothing-like-this")
    assert "no parameter matches 'nothing-like-this'" in capsys.readouterr().out
