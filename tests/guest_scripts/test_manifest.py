"""The manifest is the contract with the guest channels and the WinRM simulator."""

from __future__ import annotations

import re

import pytest

from xtract_gui.domain.guest_tasks import GuestPhase, parse_manifest, tasks_for
from xtract_gui.domain.inventory import OsFamily
from xtract_gui.resources import load_script

from .helpers import CONTRACT_KEYS, FIRSTBOOT_RESULT_KEYS, RESOURCES, manifest_data, manifest_tasks

pytestmark = pytest.mark.guest

SCRIPTS = sorted(p.relative_to(RESOURCES).as_posix()  # task bodies; _prelude.* are not tasks
                 for p in [*RESOURCES.glob("windows/*.ps1"), *RESOURCES.glob("linux/*.sh")]
                 if not p.name.startswith("_"))


def test_manifest_parses_and_has_the_version():
    data = manifest_data()
    assert data["version"] == 1
    assert len(parse_manifest(data)) == len(data["tasks"])


def test_every_named_script_exists_and_every_script_is_named():
    named = {t.script for t in manifest_tasks()}
    for script in named:
        assert (RESOURCES / script).is_file(), script
    assert set(SCRIPTS) <= named, set(SCRIPTS) - named


def test_each_os_family_has_one_prelude_and_it_is_no_task():
    preludes = manifest_data()["preludes"]
    assert preludes == {"windows": "windows/_prelude.ps1", "linux": "linux/_prelude.sh"}
    assert all((RESOURCES / p).is_file() for p in preludes.values())
    assert not set(preludes.values()) & {t.script for t in manifest_tasks()}


def test_tasks_sharing_a_script_are_told_apart_by_fixed_params():
    by_script: dict[str, list] = {}
    for t in manifest_tasks():
        by_script.setdefault(t.script, []).append(t)
    shared = {s: ts for s, ts in by_script.items() if len(ts) > 1}
    assert set(shared) == {"windows/add_certificate.ps1"}
    for tasks in shared.values():
        fixed = [tuple(sorted(t.extra["fixed_params"].items())) for t in tasks]
        assert len(set(fixed)) == len(tasks), fixed
    assert {t.id: t.extra["fixed_params"] for t in shared["windows/add_certificate.ps1"]} == {
        "win.add_sha1_certificate": {"hash_family": "sha1"}, "win.add_sha2_certificate": {"hash_family": "sha2"}}


def test_script_folder_matches_os_family():
    for t in manifest_tasks():
        folder, _, name = t.script.partition("/")
        assert folder == t.os_family.value, t.id
        assert name.endswith(".ps1" if t.os_family is OsFamily.WINDOWS else ".sh"), t.id
        assert t.id.startswith("win." if t.os_family is OsFamily.WINDOWS else "linux."), t.id


def test_prep_order_follows_xtract():
    titles = [t.title for t in tasks_for(manifest_tasks(), OsFamily.WINDOWS, GuestPhase.PREP)]
    expected = ["Checking admin permissions", "Checking Windows Installer version", "Adding sha1 certificate",
                "Adding sha2 certificate", "Loading user profile", "Installing VirtIO drivers",
                "Setting SAN policy to OnlineAll", "Retaining IP addresses"]
    assert titles[: len(expected)] == expected
    linux = [t.id for t in tasks_for(manifest_tasks(), OsFamily.LINUX, GuestPhase.PREP)]
    assert linux[0] == "linux.check_root"
    # The LVM devices file must be moved aside before the initramfs (which carries a copy) is rebuilt.
    assert linux.index("linux.fstab_uuid") < linux.index("linux.initramfs_virtio")
    for family in OsFamily.WINDOWS, OsFamily.LINUX:
        orders = [t.order for t in manifest_tasks() if t.os_family is family and t.phase is GuestPhase.PREP]
        assert len(orders) == len(set(orders)), family


def test_each_family_has_firstboot_reader_and_undo():
    for family in OsFamily.WINDOWS, OsFamily.LINUX:
        assert len(tasks_for(manifest_tasks(), family, GuestPhase.FIRSTBOOT)) == 1
        post = tasks_for(manifest_tasks(), family, GuestPhase.POST)
        assert post[0].id.endswith(".read_firstboot_result") and not post[0].optional
        assert len(tasks_for(manifest_tasks(), family, GuestPhase.UNDO)) == 1


@pytest.mark.parametrize("task_id", [t.id for t in manifest_tasks()])
def test_result_example_has_contract_shape(task_id):
    t = next(t for t in manifest_tasks() if t.id == task_id)
    for key in ("result_example", "pending_example"):
        example = t.extra.get(key)
        if key == "result_example":
            assert example is not None, task_id
        if example is None:
            continue
        assert set(example) == CONTRACT_KEYS, (task_id, key)
        assert example["task"] == task_id
        assert isinstance(example["ok"], bool) and isinstance(example["changed"], bool)
        assert isinstance(example["message"], str) and example["message"].endswith(".")
        assert isinstance(example["warnings"], list) and isinstance(example["data"], dict)
    if t.phase is GuestPhase.FIRSTBOOT or t.id.endswith(".read_firstboot_result"):
        assert set(t.extra["result_example"]["data"]) >= FIRSTBOOT_RESULT_KEYS, task_id
        if t.id.endswith(".read_firstboot_result"):
            assert t.extra["pending_example"]["data"]["pending"] is True


def test_params_are_declared_consistently():
    for t in manifest_tasks():
        assert set(t.secret_params) <= set(t.params), t.id
        for name, resource in t.extra.get("param_files", {}).items():
            assert name in t.params, t.id
            assert (RESOURCES / resource).is_file(), resource
        assert set(t.extra.get("fixed_params", {})) <= set(t.params), t.id
        assert not set(t.extra.get("fixed_params", {})) & set(t.secret_params), t.id
    profile = next(t for t in manifest_tasks() if t.id == "win.load_user_profile")
    assert profile.secret_params == ("password",)


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s.startswith("windows/")])
def test_windows_script_takes_params_file(script):
    text = load_script(script)  # what the channel sends
    # param() must be the script's first statement: only comments may come before it.
    before = text[: text.index("param([string]$ParamsFile, [string]$ParamsJson)")]
    assert all(not line.strip() or line.startswith("#") for line in before.splitlines()), script
    assert "Remove-Item -LiteralPath $ParamsFile" in text


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s.startswith("linux/")])
def test_linux_script_takes_params_file(script):
    text = load_script(script)
    assert text.startswith("#!/usr/bin/env bash\n") and 'rm -f -- "$1"' in text
    assert re.search(r"^TASK=linux\.\w+$", text, re.MULTILINE)


def test_task_ids_in_scripts_match_manifest():
    for t in manifest_tasks():
        text = (RESOURCES / t.script).read_text(encoding="utf-8")
        if "fixed_params" in t.extra:  # a shared script builds its id from the family it is given
            assert t.id == f"win.add_{t.extra['fixed_params']['hash_family']}_certificate", t.id
            assert "$TaskId = 'win.add_' + $Algorithm + '_certificate'" in text, t.id
            continue
        marker = f"$TaskId = '{t.id}'" if t.os_family is OsFamily.WINDOWS else f"TASK={t.id}\n"
        assert marker in text, t.id


def test_readme_documents_the_contract():
    readme = (RESOURCES / "README.md").read_text(encoding="utf-8")
    for needle in ("-ParamsFile", "LAST stdout line", "firstboot-result.json", "read_firstboot_result",
                   "XTRACT_ROOT", "param_files", "fixed_params", "_prelude.ps1", "_prelude.sh", "preludes"):
        assert needle in readme, needle
