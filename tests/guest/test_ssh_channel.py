"""The SSH channel against Debian's OpenSSH server, run as a real daemon on a loopback port.

sshd is chrooted into a private Debian root (tests/support/sshd.py), so the accounts, sudo rules and
whatever the channel runs as root stay in that root.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.guest_scripts.debian_root import writable_root
from tests.support.sshd import KEY_PASSPHRASE, PASSWORD, Sshd, chrooted_sshd
from xtract_gui.domain.errors import (
    AuthenticationError,
    CancelledError,
    CertificateMismatchError,
    ConnectionFailedError,
    GuestError,
    PermissionDeniedError,
    UnsupportedError,
)
from xtract_gui.domain.guest_tasks import GuestPhase, GuestTask
from xtract_gui.domain.inventory import OsFamily
from xtract_gui.engine.ports import GuestTarget
from xtract_gui.guest import GuestChannels
from xtract_gui.guest.ssh_channel import SshChannel, SshChannelFactory
from xtract_gui.guest.ssh_connect import probe_host_key
from xtract_gui.resources import compose, load_manifest, load_script, read_resource
from xtract_gui.wiring import guest_channel_factory, probe_ssh_host_key

pytestmark = [pytest.mark.guest]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    with writable_root(tmp_path_factory.mktemp("ssh-guest")) as root, chrooted_sshd(root) as daemon:
        yield daemon


def target(sshd: Sshd, user: str = "root", **changes: object) -> GuestTarget:
    base = GuestTarget(vm_id="vm-ssh", os_family="linux", channel="ssh", host=sshd.host, port=sshd.port, user=user,
                       password="" if user == "root" else PASSWORD, host_key=sshd.host_key_pin,
                       private_key=sshd.root_key if user == "root" else "")
    return replace(base, **changes)


def probe_task(body: str, *, params: tuple[str, ...] = (), secret: tuple[str, ...] = ()) -> tuple[GuestTask, str]:
    task = GuestTask(id="test.probe", title="Probe", os_family=OsFamily.LINUX, phase=GuestPhase.PREP, order=1,
                     script="linux/probe.sh", params=params, secret_params=secret)
    return task, compose(read_resource("linux/_prelude.sh"), "TASK=test.probe\n" + body)


WHO = ('finish true "ran" "{\\"uid\\":$(id -u),\\"sudo_user\\":$(json_str "${SUDO_USER:-}"),'
       '\\"cwd\\":$(json_str "$PWD"),\\"stdin\\":$(json_str "$(timeout 2 cat 2>/dev/null)"),'
       '\\"note\\":$(json_str "$(param note)")}"\n')


def leftovers(sshd: Sshd) -> list[str]:
    return sorted(p.name for p in (sshd.root / "tmp").glob("xtract.*"))


def test_root_with_key_runs_a_real_task_and_leaves_no_run_folder(sshd):
    check_root = next(t for t in load_manifest() if t.id == "linux.check_root")
    with SshChannel(target(sshd)) as channel:
        res = channel.run_task(check_root, load_script(check_root.script), {}, timeout=60)
    assert res.ok, res
    assert res.result["task"] == "linux.check_root"
    assert res.result["data"]["uid"] == 0 and res.result["data"]["via_sudo"] is False
    assert res.result["data"]["os_id"] == "debian"
    assert leftovers(sshd) == []


@pytest.mark.parametrize(("user", "via"), [("migsvc", "sudo with its password"), ("opsbot", "sudo NOPASSWD")])
def test_a_non_root_account_runs_as_root_through_sudo_and_the_password_never_reaches_the_script(sshd, user, via):
    task, script = probe_task(WHO, params=("note",))
    with SshChannel(target(sshd, user)) as channel:
        res = channel.run_task(task, script, {"note": "hello"}, timeout=60)
    assert res.ok, (via, res)
    data = res.result["data"]
    assert data["uid"] == 0 and data["sudo_user"] == user, via
    assert data["stdin"] == "", "the script must get no stdin (sudo's password travels there)"
    assert data["note"] == "hello"
    assert data["cwd"].startswith("/tmp/xtract.")
    assert PASSWORD not in res.stdout + res.stderr
    assert leftovers(sshd) == []


def test_an_encrypted_key_is_unlocked_with_the_stored_password(sshd):
    task, script = probe_task(WHO)
    t = target(sshd, "migsvc", private_key=sshd.migsvc_key_encrypted, password=KEY_PASSPHRASE)
    # The passphrase is not migsvc's login password, so sudo refuses: the key itself got us in.
    with SshChannel(t) as channel, pytest.raises(PermissionDeniedError, match="sudo refused"):
        channel.run_task(task, script, {}, timeout=60)
    with pytest.raises(AuthenticationError, match=r"does not unlock it|cannot be used"):
        SshChannel(replace(t, password="wrong"))


def test_sudo_refused_is_said_plainly_and_nothing_is_written(sshd):
    task, script = probe_task('touch /root/ran-as-root; finish true "ran"\n')
    with SshChannel(target(sshd, "plain")) as channel, pytest.raises(PermissionDeniedError) as err:
        channel.run_task(task, script, {}, timeout=60)
    assert "sudo refused" in str(err.value) and "'plain'" in str(err.value)
    assert "not in the sudoers file" in str(err.value)
    assert PASSWORD not in str(err.value) + err.value.detail
    assert not (sshd.root / "root/ran-as-root").exists()
    assert leftovers(sshd) == []


def test_wrong_password_and_unknown_user_are_authentication_errors(sshd):
    with pytest.raises(AuthenticationError, match="refused the SSH login of 'migsvc'"):
        SshChannel(target(sshd, "migsvc", password="not-it"))
    with pytest.raises(AuthenticationError):
        SshChannel(target(sshd, "nobody-here"))


def test_host_key_is_pinned_like_a_certificate(sshd):
    assert probe_host_key(sshd.host, sshd.port) == sshd.host_key_pin
    assert probe_ssh_host_key(sshd.host, sshd.port) == sshd.host_key_pin
    with pytest.raises(CertificateMismatchError, match="not pinned") as unpinned:
        SshChannel(target(sshd, host_key=""))
    assert unpinned.value.actual == sshd.host_key_pin
    other = sshd.host_key_pin.split(" ")[0] + " SHA256:" + "A" * 43
    with pytest.raises(CertificateMismatchError, match="changed") as changed:
        SshChannel(target(sshd, host_key=other))
    assert changed.value.expected == other and changed.value.actual == sshd.host_key_pin
    # A pinned RSA key is asked for as such (no downgrade to "whatever key the server prefers").
    with SshChannel(target(sshd, host_key=sshd.rsa_pin)) as channel:
        assert channel.get_file("/etc/hostname")
    with pytest.raises(CertificateMismatchError):
        SshChannel(target(sshd, host_key="ssh-rsa " + sshd.host_key_pin.split(" ")[1]))


def test_nothing_listening_is_a_connection_error():
    t = GuestTarget(vm_id="vm", os_family="linux", channel="ssh", host="127.0.0.1", port=1, user="root",
                    password="x", host_key="ssh-ed25519 SHA256:" + "A" * 43)
    with pytest.raises(ConnectionFailedError, match="refused"):
        SshChannel(t)
    with pytest.raises(UnsupportedError):
        SshChannel(replace(t, os_family="windows"))


def test_files_go_in_over_sftp_and_land_root_owned_0600(sshd):
    with SshChannel(target(sshd, "migsvc")) as channel:
        channel.put_file(b"payload\x00\xff", "/var/lib/xtract/upload/blob.bin")
        assert channel.get_file("/var/lib/xtract/upload/blob.bin") == b"payload\x00\xff"
        with pytest.raises(GuestError, match="Could not read"):
            channel.get_file("/var/lib/xtract/upload/missing")
    placed = sshd.root / "var/lib/xtract/upload/blob.bin"
    st = placed.stat()
    assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600)
    assert leftovers(sshd) == []


def _sleeper(sshd: Sshd, name: str) -> tuple[GuestTask, str, Path]:
    pid_file = sshd.root / "tmp" / f"{name}.pid"
    task, script = probe_task(f'echo $$ > /tmp/{name}.pid; sleep 300 & echo $! >> /tmp/{name}.pid; wait\n'
                              'finish true "slept"\n')
    return task, script, pid_file


def _alive(pid_file: Path) -> list[int]:
    pids = [int(p) for p in pid_file.read_text().split()]
    return [p for p in pids if Path(f"/proc/{p}").exists() and "zombie" not in
            Path(f"/proc/{p}/status").read_text().lower()]


def test_a_timeout_stops_the_guest_process_group(sshd):
    task, script, pid_file = _sleeper(sshd, "timeout")
    with SshChannel(target(sshd, "migsvc")) as channel, pytest.raises(GuestError, match="timed out"):
        channel.run_task(task, script, {}, timeout=3)
    deadline = time.monotonic() + 30
    while _alive(pid_file) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(pid_file) == []


def test_cancel_stops_the_guest_process_group(sshd):
    task, script, pid_file = _sleeper(sshd, "cancel")
    cancel = threading.Event()
    with SshChannel(target(sshd)) as channel:
        threading.Thread(target=lambda: (_wait_for(pid_file), cancel.set()), daemon=True).start()
        with pytest.raises(CancelledError):
            channel.run_task(task, script, {}, timeout=120, cancel=cancel)
    deadline = time.monotonic() + 30
    while _alive(pid_file) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(pid_file) == []


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(path.read_text().split() if path.exists() else []) < 2:
        time.sleep(0.1)


def test_secret_params_are_masked_in_what_comes_back(sshd):
    task, script = probe_task('log "token is $(param api_token)"\nfinish true "got $(param api_token)"\n',
                              params=("api_token",), secret=("api_token",))
    with SshChannel(target(sshd)) as channel:
        res = channel.run_task(task, script, {"api_token": "tok-12345"}, timeout=60)
    assert res.ok and "tok-12345" not in res.stdout + res.stderr + json.dumps(res.result)


def test_the_factory_dispatches_ssh_targets(sshd):
    factory = guest_channel_factory()
    assert isinstance(factory, GuestChannels) and isinstance(factory.ssh, SshChannelFactory)
    channel = factory.open(target(sshd))
    try:
        assert channel.get_file("/etc/debian_version")
    finally:
        channel.close()


# -- issue 21.1: a run folder no other account can touch ------------------------------------------


def test_a_parent_folder_planted_by_another_account_is_refused_and_nothing_runs(sshd):
    """mallory (an unprivileged local user) creates the run parent first, as in the reproduced attack."""
    planted = sshd.root / "tmp/xtract"
    assert sshd.run("mkdir", "-m", "0777", "/tmp/xtract", user="mallory").returncode == 0
    task, script = probe_task('touch /root/ran-as-root\nfinish true "ran"\n')
    try:
        for user in ("root", "migsvc"):
            with SshChannel(target(sshd, user), run_parent="/tmp/xtract") as channel, \
                    pytest.raises(PermissionDeniedError, match="not safe") as err:
                channel.run_task(task, script, {}, timeout=60)
            assert "/tmp/xtract" in str(err.value)
            assert not (sshd.root / "root/ran-as-root").exists()
            assert not any(p.name.endswith((".sh", ".json")) for p in planted.rglob("*"))
        # The default parent (/tmp: root-owned, sticky) is unaffected by mallory's folder.
        with SshChannel(target(sshd, "migsvc")) as channel:
            res = channel.run_task(task, script, {}, timeout=60)
        assert res.ok and (sshd.root / "root/ran-as-root").exists()
        assert planted.stat().st_uid != 0 and not any(p.is_file() for p in planted.rglob("*"))
    finally:
        sshd.run("rm", "-rf", "/tmp/xtract", "/root/ran-as-root")


def test_a_parent_owned_by_another_account_is_refused_even_when_not_writable(sshd):
    assert sshd.run("mkdir", "-m", "0755", "/tmp/xtract", user="mallory").returncode == 0
    task, script = probe_task('finish true "ran"\n')
    try:
        with SshChannel(target(sshd), run_parent="/tmp/xtract") as channel, \
                pytest.raises(PermissionDeniedError, match="neither root nor the guest account"):
            channel.run_task(task, script, {}, timeout=60)
    finally:
        sshd.run("rm", "-rf", "/tmp/xtract")
