"""What both channels share: the result line, secret masking, CLIXML, params, dispatch."""

from __future__ import annotations

import json

import pytest

from xtract_gui.domain.errors import ConfigurationError
from xtract_gui.domain.guest_tasks import GuestPhase, GuestTask
from xtract_gui.domain.inventory import OsFamily
from xtract_gui.engine.ports import GuestTarget
from xtract_gui.engine.prep import task_params
from xtract_gui.guest import GuestChannels
from xtract_gui.guest.scripts import clean_clixml, finish, params_bytes, parse_result
from xtract_gui.resources import load_manifest

pytestmark = pytest.mark.guest

TASK = GuestTask(id="win.t", title="T", os_family=OsFamily.WINDOWS, phase=GuestPhase.PREP, order=1,
                 script="windows/t.ps1", params=("user_name", "password"), secret_params=("password",))


def test_the_last_json_object_line_is_the_result() -> None:
    out = 'log {"not": "last"}\n{"task":"a","ok":false}\nnoise\n{"task":"b","ok":true}\r\n\n'
    assert parse_result(out) == {"task": "b", "ok": True}
    assert parse_result("no json\n[1, 2]\n{broken\n") == {}


def test_known_secret_values_are_masked_but_keys_survive() -> None:
    out = b'{"task":"x","ok":true,"data":{"filter_administrator_token":0,"echo":"S3cr3t-pw"}}\n'
    stdout, stderr, result = finish(0, out, b"S3cr3t-pw rejected", ["S3cr3t-pw"])
    assert "S3cr3t-pw" not in stdout + stderr
    assert result["data"] == {"filter_administrator_token": 0, "echo": "********"}


def test_clixml_error_records_become_text() -> None:
    err = ('#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
           '<S S="Error">Access is denied_x000D__x000A_</S><S S="Error">at line 3 &lt;here&gt;</S></Objs>')
    assert clean_clixml(err) == "Access is denied\r\nat line 3 <here>"
    assert clean_clixml("plain text") == "plain text"


def test_params_file_holds_only_json_and_names_the_task() -> None:
    body = json.loads(params_bytes(TASK, {"user_name": "u", "password": "p"}))
    assert body == {"task": "win.t", "user_name": "u", "password": "p"}


def test_task_params_pick_the_tasks_own_and_fill_param_files() -> None:
    install = next(t for t in load_manifest() if t.id == "win.install_firstboot")
    params = task_params(install, {"deadline_minutes": 5, "has_shared_disks": True, "password": "unrelated"},
                         loader=lambda rel: f"text of {rel}")
    assert params == {"deadline_minutes": 5, "has_shared_disks": True,
                      "firstboot_script": "text of windows/firstboot.ps1"}


def test_task_params_merge_the_fixed_params_over_the_plans_values() -> None:
    sha1, sha2 = (next(t for t in load_manifest() if t.id == f"win.add_{f}_certificate") for f in ("sha1", "sha2"))
    assert sha1.script == sha2.script == "windows/add_certificate.ps1"
    values = {"certificate_files": ["C:\\a.cer"], "hash_family": "md5", "password": "unrelated"}
    assert task_params(sha1, values) == {"certificate_files": ["C:\\a.cer"], "hash_family": "sha1"}
    assert task_params(sha2, values)["hash_family"] == "sha2"


def test_unknown_or_unavailable_channel_is_a_configuration_error() -> None:
    target = GuestTarget(vm_id="vm-1", os_family="windows", channel="telnet", host="h", user="u", password="p")
    with pytest.raises(ConfigurationError, match="Unknown guest channel"):
        GuestChannels().open(target)
    with pytest.raises(ConfigurationError, match="vCenter"):
        GuestChannels().open(GuestTarget(vm_id="vm-1", os_family="linux", channel="vmtools", host="vm-1",
                                         user="root", password="p"))
