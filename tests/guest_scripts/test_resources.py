"""The one resource loader: manifest, raw resources, and prelude + body composition."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xtract_gui.domain.errors import ConfigurationError
from xtract_gui.resources import load_manifest, load_script, prelude_for, read_resource, script_tasks

from .helpers import RESOURCES

pytestmark = pytest.mark.guest

TASK = {"title": "T", "phase": "prep", "order": 1, "timeout_seconds": 60, "params": [], "secret_params": [],
        "optional": False, "extra": {}}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "windows").mkdir()
    (tmp_path / "linux").mkdir()
    (tmp_path / "windows/_prelude.ps1").write_text("param([string]$ParamsFile)\nfunction P {}\n")
    (tmp_path / "windows/a.ps1").write_text("$TaskId = 'win.a'\nP\n")
    (tmp_path / "linux/_prelude.sh").write_text("#!/usr/bin/env bash\np() { :; }\n\n\n")
    (tmp_path / "linux/a.sh").write_text("\nTASK=linux.a\np\n")
    (tmp_path / "notes.txt").write_text("as stored\n")
    tasks = [{**TASK, "id": "win.a", "os_family": "windows", "script": "windows/a.ps1"},
             {**TASK, "id": "win.b1", "os_family": "windows", "script": "windows/b.ps1"},
             {**TASK, "id": "win.b2", "os_family": "windows", "script": "windows/b.ps1"}]
    (tmp_path / "manifest.json").write_text(json.dumps({
        "version": 1, "preludes": {"windows": "windows/_prelude.ps1", "linux": "linux/_prelude.sh"},
        "tasks": tasks}))
    return tmp_path


def test_a_script_comes_with_its_families_prelude_first(root: Path) -> None:
    assert load_script("windows/a.ps1", root) == "param([string]$ParamsFile)\nfunction P {}\n\n$TaskId = 'win.a'\nP\n"
    assert load_script("linux/a.sh", root) == "#!/usr/bin/env bash\np() { :; }\n\nTASK=linux.a\np\n"


def test_the_prelude_itself_and_other_files_come_as_stored(root: Path) -> None:
    assert prelude_for("windows/_prelude.ps1", root) is None
    assert load_script("windows/_prelude.ps1", root) == read_resource("windows/_prelude.ps1", root)
    assert load_script("notes.txt", root) == "as stored\n"


def test_without_preludes_in_the_manifest_scripts_come_as_stored(root: Path) -> None:
    data = json.loads((root / "manifest.json").read_text())
    del data["preludes"]
    (root / "manifest.json").write_text(json.dumps(data))
    assert load_script("windows/a.ps1", root) == "$TaskId = 'win.a'\nP\n"


def test_missing_files_are_configuration_errors_that_say_what_to_do(root: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"windows/nothing\.ps1 is missing") as info:
        load_script("windows/nothing.ps1", root)
    assert "Reinstall" in info.value.hint
    (root / "windows/_prelude.ps1").unlink()
    with pytest.raises(ConfigurationError, match=r"_prelude\.ps1 is missing"):
        load_script("windows/a.ps1", root)
    (root / "manifest.json").write_text("{broken")
    with pytest.raises(ConfigurationError, match="guest task list"):
        load_manifest(root)


def test_script_names_map_to_a_task_only_when_one_task_runs_them(root: Path) -> None:
    assert script_tasks(root) == {"a.ps1": "win.a"}
    real = script_tasks()
    assert "add_certificate.ps1" not in real and real["check_admin.ps1"] == "win.check_admin"


def test_the_real_manifest_composes_every_task_script() -> None:
    for task in load_manifest():
        text = load_script(task.script)
        prelude = read_resource(f"{task.os_family.value}/_prelude.{'ps1' if task.script.endswith('ps1') else 'sh'}")
        assert text.startswith(prelude.rstrip("\n")) and text.endswith((RESOURCES / task.script).read_text()), task.id
