"""The ``bikemap`` command as a user meets it: coordinates of any hemisphere, progress, --quiet."""

from __future__ import annotations

import argparse
import io

import pytest
from conftest import shared_file

from routes import progress, settings
from routes.cli import build_parser, main

SOUTH_WEST = "-37.81,-144.96"


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                for inner_name, inner in _subparsers(sub):
                    yield f"{name} {inner_name}", inner


def _filler(action: argparse.Action) -> list[str]:
    """Arguments that satisfy a required option with a harmless value."""
    if action.nargs == 0:
        return [action.option_strings[0]]
    value = "1,2" if action.metavar and "LAT" in str(action.metavar) else "1"
    return [action.option_strings[0], value]


def _coordinate_options():
    for name, sub in _subparsers(build_parser()):
        for action in sub._actions:
            if (
                action.option_strings
                and action.metavar
                and ("LAT" in str(action.metavar) or "W,S" in str(action.metavar))
            ):
                yield pytest.param(name, sub, action, id=f"{name} {action.option_strings[-1]}")


COORDINATE_OPTIONS = list(_coordinate_options())


def test_every_command_with_points_is_covered():
    """The list below is not empty by accident: route, tour and bike-share trips all take points."""
    names = {p.values[0] for p in COORDINATE_OPTIONS}
    assert {"route", "tour", "bikeshare"} <= {n.split()[0] for n in names}, names


@pytest.mark.parametrize(("command", "sub", "action"), COORDINATE_OPTIONS)
def test_negative_coordinates_are_values_not_options(command, sub, action):
    argv = [action.option_strings[-1], SOUTH_WEST]
    for other in sub._actions:
        if other.required and other is not action and other.option_strings:
            argv += _filler(other)
    for group in sub._mutually_exclusive_groups:
        if group.required and action not in group._group_actions:
            argv += _filler(group._group_actions[0])
    args = sub.parse_args(argv)
    value = getattr(args, action.dest)
    assert value == [SOUTH_WEST] if isinstance(value, list) else value == SOUTH_WEST


def test_route_in_the_southern_hemisphere_is_read_as_a_point(capsys):
    """``--from -37.81,144.96`` reaches the engine (far from Helsinki), not argparse's "expected one argument"."""
    code = main(["route", "--quiet", "--from", "-37.81,144.96", "--to", "-37.80,144.97"])
    err = capsys.readouterr().err
    assert code == 2
    assert "expected one argument" not in err
    assert err.count("\n") == 1 and "the start (-37.810000,144.960000) is" in err and "nearest street" in err, err


def test_an_option_name_is_still_an_option():
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["route", "--from", "--to", "1,2"])
    assert exc.value.code == 2


def test_stage_lines_when_not_a_terminal(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    monkeypatch.setattr(settings, "progress", True)
    monkeypatch.setattr(progress, "LINE_AFTER_S", 0)
    with progress.stage("building the cycling network"):
        pass
    lines = out.getvalue().splitlines()
    assert lines[0] == "bikemap: building the cycling network ..."
    assert lines[1].startswith("bikemap: building the cycling network: done in ")


def test_stage_is_silent_when_progress_is_off(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    monkeypatch.setattr(settings, "progress", False)
    with progress.stage("building"):
        pass
    assert out.getvalue() == ""


@pytest.mark.parametrize("quiet", [False, True])
def test_cold_build_shows_progress_unless_quiet(tmp_path, capsys, monkeypatch, quiet):
    monkeypatch.setattr(progress, "LINE_AFTER_S", 0)  # the small Paris extract may build in under half a second
    pbf = shared_file("paris_bss.osm.pbf")
    argv = [
        "route",
        "--source",
        str(pbf),
        "--cache-dir",
        str(tmp_path),
        "--from",
        "48.86078,2.35835",
        "--to",
        "48.86994,2.36524",
    ]
    assert main(argv + (["--quiet"] if quiet else [])) == 0
    err = capsys.readouterr().err
    if quiet:
        assert err == ""
    else:
        assert "bikemap: reading paris_bss.osm.pbf ..." in err
        assert "bikemap: building the cycling network: done in" in err
    assert settings.progress is False  # main() leaves the library's setting as it found it


def test_a_quick_failing_step_leaves_only_the_error(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    monkeypatch.setattr(settings, "progress", True)
    with pytest.raises(ValueError), progress.stage("reading a broken file"):
        raise ValueError("broken")
    assert out.getvalue() == ""
