"""Every command's --help reads whole in an 80-column terminal, and publish's names its exit
codes."""

from __future__ import annotations

import pytest
import typer.main

from forecast.cli import app, main

#: every registered command, so a new one is checked without being listed here
COMMANDS = sorted(typer.main.get_command(app).commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_fits_80_columns_without_cut_words(command: str, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "dumb")
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "--help" in out
    assert "…" not in out, [line for line in out.splitlines() if "…" in line]
    assert max(len(line) for line in out.splitlines()) <= 80


def test_publish_help_lists_its_exit_codes(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["publish", "--help"]) == 0
    out = capsys.readouterr().out
    for code in ("0 published", "2 bad or stale data", "3 model or tracking", "74 writing",
                 "75 another publish"):
        assert code in out
