"""``osnova collect-static``: the folder nginx serves, with fingerprinted copies."""

from __future__ import annotations

import json
from pathlib import Path

from flask.testing import FlaskCliRunner

from osnova.services.static_files import content_hash

STATIC = Path("src/osnova/static")


def test_collect_static_copies_each_file_under_both_names_with_a_manifest(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    destination = tmp_path / "static"
    result = runner.invoke(args=["collect-static", str(destination)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((destination / "staticfiles.json").read_text())
    fingerprint = content_hash(STATIC / "css" / "site.css")
    assert manifest["css/site.css"] == f"css/site.{fingerprint}.css"
    assert set(manifest) >= {"css/site.css", "js/api-docs.js", "favicon.ico"}
    for name, fingerprinted in manifest.items():
        assert (destination / name).read_bytes() == (STATIC / name).read_bytes()
        assert (destination / fingerprinted).read_bytes() == (STATIC / name).read_bytes()


def test_collecting_again_keeps_the_fingerprinted_files_of_earlier_versions(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    destination = tmp_path / "static"
    (destination / "css").mkdir(parents=True)
    earlier = destination / "css" / "site.0123456789ab.css"
    earlier.write_text("body { color: red; }")
    result = runner.invoke(args=["collect-static", str(destination)])
    assert result.exit_code == 0, result.output
    assert earlier.read_text() == "body { color: red; }"
    again = runner.invoke(args=["collect-static", str(destination)])
    assert "0 new fingerprinted" in again.output


def test_collect_static_into_a_file_is_one_clear_error(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "static"
    target.write_text("keep me")
    result = runner.invoke(args=["collect-static", str(target)])
    assert result.exit_code != 0
    assert "is a file" in result.output
    assert target.read_text() == "keep me"
