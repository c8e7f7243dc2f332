"""The bikemap command: summaries, JSON, GPX, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from routes.cli import main

A, B = "60.1699,24.9384", "60.1618,24.9510"


def test_route_summary(capsys):
    assert main(["route", "--from", A, "--to", B]) == 0
    out = capsys.readouterr().out
    assert "km" in out and "min" in out and "Directions:" in out and "Arrive" in out


def test_route_json_and_gpx(capsys, tmp_path, gpx_schema):
    from lxml import etree

    gpx = tmp_path / "r.gpx"
    assert (
        main(
            [
                "route",
                "--from",
                A,
                "--via",
                "60.1650,24.9400",
                "--to",
                B,
                "--json",
                "--gpx",
                str(gpx),
                "--profile",
                "fast",
            ]
        )
        == 0
    )
    f = json.loads(capsys.readouterr().out)
    assert f["type"] == "Feature" and f["properties"]["profile"] == "fast"
    assert len(f["properties"]["waypoints"]) == 3
    gpx_schema.assertValid(etree.parse(str(gpx)))


def test_indonesian_directions(capsys):
    assert main(["route", "--from", A, "--to", B, "--lang", "id"]) == 0
    assert "Tiba di tujuan" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "60.1,abc", "--to", B], "--from must be LAT,LON"),
        (["--from", "91,24.9", "--to", B], "latitude"),
        (["--from", A, "--to", "60.1,181"], "longitude"),
        (["--from", "nan,24.9", "--to", B], "finite"),
        (["--from", A, "--to", B, "--profile", "rocket"], "unknown profile"),
        (["--from", A, "--to", "60.30,25.20"], "from the nearest street"),
        (["--from", A, "--to", B, "--source", "/nonexistent/x.osm.pbf"], "not found"),
        (["--from", A, "--to", B, "--gpx", "/nonexistent/dir/r.gpx"], "cannot write GPX"),
        (["--to", B], "required"),
    ],
)
def test_bad_input_one_line_exit_2(capsys, args, message):
    assert main_exit(["route", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def main_exit(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse usage errors
        return exc.code


def test_corrupt_source_file(tmp_path, capsys):
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"\x00\x01garbage")
    assert main(["route", "--source", str(bad), "--cache-dir", str(tmp_path), "--from", A, "--to", B]) == 2
    err = capsys.readouterr().err
    assert "not a valid .osm.pbf" in err and err.count("\n") == 1


def test_unreadable_source_file(tmp_path, capsys):
    bad = tmp_path / "locked.osm.pbf"
    bad.write_bytes(b"x")
    bad.chmod(0)
    code = main(["route", "--source", str(bad), "--cache-dir", str(tmp_path), "--from", A, "--to", B])
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_console_script_runs():
    r = subprocess.run(
        [sys.executable, "-m", "routes.cli", "route", "--from", "x", "--to", B],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
