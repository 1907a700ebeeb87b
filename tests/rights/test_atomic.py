"""rights.atomic: the one writer of durable files (keys, manifests, statements, payout runs)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from rights.atomic import atomic_open, atomic_path, write_json_atomic


def test_write_json_replaces_the_file_and_sets_the_mode_before_writing(tmp_path):
    target = tmp_path / "sub" / "key.json"
    write_json_atomic(target, {"a": 1}, mode=0o600)
    assert json.loads(target.read_text()) == {"a": 1}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    write_json_atomic(target, {"a": 2}, mode=0o600, indent=1)
    assert json.loads(target.read_text()) == {"a": 2}
    assert os.listdir(target.parent) == ["key.json"]


def test_a_failure_half_way_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "statement.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as f:
            f.write("new, half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["statement.csv"]


def test_unserialisable_json_loses_nothing(tmp_path):
    target = tmp_path / "run.json"
    write_json_atomic(target, {"ok": True})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"ok": True}
    assert os.listdir(tmp_path) == ["run.json"]


def test_atomic_path_hands_a_file_name_to_a_writer_and_renames_it(tmp_path):
    target = tmp_path / "book.pdf"
    with atomic_path(target, prefix=".stamp-") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".stamp-") and not target.exists()
        tmp.write_bytes(b"%PDF-1.7")
    assert target.read_bytes() == b"%PDF-1.7"
    assert os.listdir(tmp_path) == ["book.pdf"]
