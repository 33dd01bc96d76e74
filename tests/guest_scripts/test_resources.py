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


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files read through ``Path.read_text`` from now on (the real reads still happen)."""
    reads: list[str] = []
    real = Path.read_text

    def counting(self: Path, *args: object, **kwargs: object) -> str:
        reads.append(self.name)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", counting)
    return reads


def test_the_manifest_and_scripts_are_read_once_while_they_stay_the_same(root: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    reads = _count_reads(monkeypatch)
    first = load_script("windows/a.ps1", root)
    for _ in range(20):  # every task of every VM asks again, on the engine's loop thread
        assert load_script("windows/a.ps1", root) == first
        assert prelude_for("linux/a.sh", root) == "linux/_prelude.sh"
        assert [t.id for t in load_manifest(root)] == ["win.a", "win.b1", "win.b2"]
    assert sorted(reads) == ["_prelude.ps1", "a.ps1", "manifest.json"]


def test_a_changed_manifest_or_another_root_is_read_afresh(root: Path,
                                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    assert load_script("windows/a.ps1", root).startswith("param(")
    data = json.loads((root / "manifest.json").read_text())
    data["preludes"] = {"linux": "linux/_prelude.sh"}  # windows scripts now come without a prelude
    (root / "manifest.json").write_text(json.dumps(data))
    assert load_script("windows/a.ps1", root) == "$TaskId = 'win.a'\nP\n"
    (root / "windows/a.ps1").write_text("$TaskId = 'win.a2'\n")
    assert load_script("windows/a.ps1", root) == "$TaskId = 'win.a2'\n"

    other = tmp_path_factory.mktemp("other-resources")
    (other / "windows").mkdir()
    (other / "windows/a.ps1").write_text("other\n")
    (other / "manifest.json").write_text(json.dumps({"version": 1, "tasks": []}))
    assert load_script("windows/a.ps1", other) == "other\n" and load_manifest(other) == []
    assert len(load_manifest(root)) == 3


def test_a_caller_changing_the_manifest_data_does_not_change_what_others_read(root: Path) -> None:
    from xtract_gui.resources import manifest_data

    manifest_data(root)["preludes"].clear()
    assert prelude_for("windows/a.ps1", root) == "windows/_prelude.ps1"
