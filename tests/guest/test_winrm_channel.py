"""The WinRM channel with the real pywinrm client against the lab's WS-Management guest."""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
from dataclasses import replace

import pytest

from tests.support.winrm import LAB_PASSWORD, winrm_target
from xtract_gui.domain.errors import (
    AuthenticationError,
    CancelledError,
    CertificateMismatchError,
    ConfigurationError,
    ConnectionFailedError,
    GuestError,
    PermissionDeniedError,
    TransientError,
)
from xtract_gui.domain.guest_tasks import GuestPhase, GuestTask
from xtract_gui.domain.inventory import OsFamily
from xtract_gui.engine.ports import GuestTarget
from xtract_gui.guest import WinRmChannelFactory
from xtract_gui.guest.winrm_channel import WinRmChannel
from xtract_gui.lab.guest import Account, Endpoint, WindowsGuest, WinRmLab
from xtract_gui.resources import load_manifest

pytestmark = pytest.mark.guest

HTTP = WinRmChannelFactory(operation_timeout=1)  # the product's defaults: NTLM, encrypted on HTTP
HTTPS = WinRmChannelFactory(operation_timeout=1)
HTTP_BASIC = WinRmChannelFactory(operation_timeout=1, loopback_http_basic=True)  # lab/demo mode
HTTPS_BASIC = WinRmChannelFactory(https_auth="basic", operation_timeout=1)
TEMP = "C:\\Windows\\Temp\\xtract"


def manifest_task(task_id: str) -> GuestTask:
    return next(t for t in load_manifest() if t.id == task_id)


def ad_hoc(task_id: str = "win.lab_probe", **changes: object) -> GuestTask:
    task = GuestTask(id=task_id, title="Probe", os_family=OsFamily.WINDOWS, phase=GuestPhase.PREP, order=1,
                     script="windows/lab_probe.ps1")
    return replace(task, **changes)  # type: ignore[arg-type]


def test_http_ntlm_encrypted_runs_a_task_and_cleans_up(windows_guest: Endpoint) -> None:
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        result = channel.run_task(manifest_task("win.check_admin"), "Write-Output 'lab'", {}, timeout=30)
    finally:
        channel.close()
    assert result.exit_code == 0 and result.ok
    assert result.result["task"] == "win.check_admin"
    assert result.result["data"]["integrity_sid"] == "S-1-16-12288"
    assert result.result["data"]["filter_administrator_token"] == 0  # JSON keys survive secret masking
    guest = windows_guest.guest
    assert guest.log == ["folder", "write", "run win.check_admin", "remove"]
    assert guest.paths_under(TEMP) == [] and guest.folders == set()  # per-run folder gone
    assert windows_guest.shells == {}  # the shell was deleted on close
    assert any("-ExecutionPolicy Bypass -EncodedCommand" in line for line in windows_guest.command_lines)
    assert set(windows_guest.auth_schemes) == {"ntlm+encrypted"}  # nothing crossed HTTP in clear


def test_a_channel_never_changes_the_process_environment(windows_guest: Endpoint,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """requests sets and deletes os.environ["no_proxy"] around a request whose proxies name no_proxy (pywinrm's
    way of saying "no proxy"): threads that read the environment meanwhile failed with KeyError: 'no_proxy'."""
    import requests.utils

    changed: list[tuple[str, str]] = []
    real = requests.utils.set_environ

    def spy(name: str, value: str | None):  # type: ignore[no-untyped-def]
        if value is not None:
            changed.append((name, value))
        return real(name, value)

    monkeypatch.setattr(requests.utils, "set_environ", spy)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # a proxy in the environment is not used either
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        assert channel.run_task(manifest_task("win.check_admin"), "#", {}, timeout=30).ok
    finally:
        channel.close()
    assert changed == []


def test_http_basic_only_in_lab_mode_on_loopback(windows_guest: Endpoint) -> None:
    channel = HTTP_BASIC.open(winrm_target(windows_guest))
    try:
        assert channel.run_task(manifest_task("win.check_admin"), "#", {}, timeout=30).ok
    finally:
        channel.close()
    assert set(windows_guest.auth_schemes) == {"basic"}
    remote = WinRmChannel(winrm_target(windows_guest, host="192.0.2.10"), loopback_http_basic=True)
    assert remote._protocol.transport.auth_method == "ntlm"  # never Basic in clear to a real guest


@pytest.mark.parametrize("factory", [HTTPS, HTTPS_BASIC], ids=["ntlm", "basic"])
def test_https_with_pinned_certificate(windows_guest_https: Endpoint, factory: WinRmChannelFactory) -> None:
    channel = factory.open(winrm_target(windows_guest_https))
    try:
        channel.put_file(b"\x00\x01binary\xff", "C:\\data\\blob.bin")
        assert channel.get_file("C:\\data\\blob.bin") == b"\x00\x01binary\xff"
    finally:
        channel.close()
    # NTLM over TLS is bound to the pinned certificate (channel binding checked by the lab)
    assert set(windows_guest_https.auth_schemes) == {"ntlm" if factory is HTTPS else "basic"}


def test_https_wrong_pin_is_a_certificate_mismatch(windows_guest_https: Endpoint) -> None:
    wrong = ":".join(["AB"] * 32)
    with pytest.raises(CertificateMismatchError) as info:
        HTTPS.open(winrm_target(windows_guest_https, fingerprint=wrong))
    assert info.value.expected == wrong
    assert info.value.actual == windows_guest_https.fingerprint
    assert windows_guest_https.fingerprint in str(info.value)


def test_https_without_pin_refuses_a_self_signed_certificate_and_says_how_to_pin(
        windows_guest_https: Endpoint) -> None:
    with pytest.raises(ConnectionFailedError) as info:
        HTTPS.open(winrm_target(windows_guest_https, fingerprint=""))
    assert not isinstance(info.value, CertificateMismatchError)
    assert "Pin it" in str(info.value) and windows_guest_https.fingerprint in str(info.value)


def test_a_malformed_pin_is_a_configuration_error(windows_guest_https: Endpoint) -> None:
    with pytest.raises(ConfigurationError, match="SHA-256"):
        HTTPS.open(winrm_target(windows_guest_https, fingerprint="AB:CD"))  # SHA-1 or typo: never accepted


@pytest.mark.parametrize("factory", [HTTP, HTTP_BASIC], ids=["ntlm", "basic"])
def test_wrong_password_is_an_authentication_error(windows_guest: Endpoint, factory: WinRmChannelFactory) -> None:
    with pytest.raises(AuthenticationError) as info:
        factory.open(winrm_target(windows_guest, password="not-the-password"))
    assert "not-the-password" not in f"{info.value} {info.value.detail}"
    assert windows_guest.command_lines == []


def test_refused_port_says_how_to_enable_winrm(winrm_lab: WinRmLab) -> None:
    endpoint = winrm_lab.add_guest(WindowsGuest())
    target = winrm_target(endpoint)
    winrm_lab.close()  # nothing listens on that port any more
    with pytest.raises(ConnectionFailedError) as info:
        HTTP.open(target)
    assert "winrm quickconfig" in str(info.value) and "firewall" in str(info.value)


@pytest.mark.slow  # pywinrm's read timeout is at least operation timeout + 10 s
def test_a_listener_that_never_answers_is_a_transient_error() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
        endpoint_port = silent.getsockname()[1]
        target = GuestTarget(vm_id="vm-x", os_family="windows", channel="winrm", host="127.0.0.1",
                             user="Administrator", password=LAB_PASSWORD, port=endpoint_port, https=False,
                             allow_http_ntlm=True)
        with pytest.raises(TransientError, match="did not reply"):
            HTTP.open(target)


def test_plain_http_needs_the_users_consent(windows_guest: Endpoint) -> None:
    with pytest.raises(ConfigurationError):
        WinRmChannel(winrm_target(windows_guest, allow_http_ntlm=False))


def test_filtered_token_of_a_local_admin_is_denied_with_the_policy_advice(winrm_lab: WinRmLab) -> None:
    guest = WindowsGuest(accounts=[Account(".\\migadmin", "S3cret-local!", admin=True)])
    endpoint = winrm_lab.add_guest(guest)
    target = winrm_target(endpoint, user="migadmin", password="S3cret-local!")
    with pytest.raises(PermissionDeniedError) as info:
        HTTP.open(target)
    assert "LocalAccountTokenFilterPolicy" in str(info.value)
    guest.faults.local_account_token_filter_policy = 1
    HTTP.open(target).close()


def test_non_admin_remote_management_user_gets_the_check_admin_answer(winrm_lab: WinRmLab) -> None:
    guest = WindowsGuest(accounts=[Account(".\\operator", "0perat0r!", admin=False, remote_management_user=True)])
    endpoint = winrm_lab.add_guest(guest)
    channel = HTTP.open(winrm_target(endpoint, user="operator", password="0perat0r!"))
    try:
        result = channel.run_task(manifest_task("win.check_admin"), "#", {}, timeout=30)
    finally:
        channel.close()
    assert not result.ok and result.exit_code == 1
    assert "not a member of the local Administrators group" in result.result["message"]


def test_large_script_goes_up_in_chunks_intact(windows_guest: Endpoint) -> None:
    script = "".join(f"Write-Output 'line {i:06d} {'x' * 60}'\n" for i in range(4000))  # ~300 KB
    factory = WinRmChannelFactory(operation_timeout=1, chunk_size=32 * 1024)
    channel = factory.open(winrm_target(windows_guest))
    try:
        result = channel.run_task(ad_hoc(), script, {"x": 1}, timeout=60)
    finally:
        channel.close()
    uploaded = b"\xef\xbb\xbf" + script.encode("utf-8")
    assert result.ok
    assert result.result["data"]["script_sha256"] == hashlib.sha256(uploaded).hexdigest()
    assert result.result["data"]["script_bytes"] == len(uploaded)
    assert windows_guest.guest.log.count("write") >= len(uploaded) // (32 * 1024) + 1
    # every command line stays below cmd.exe's 8191 characters (CreateProcess allows 32767)
    assert max(len(line) for line in windows_guest.command_lines) < 8191


def test_timeout_stops_the_remote_command(windows_guest: Endpoint) -> None:
    windows_guest.guest.faults.hang_tasks.add("win.check_admin")
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        with pytest.raises(GuestError, match="Timed out"):
            channel.run_task(manifest_task("win.check_admin"), "#", {}, timeout=1.5)
        assert [code for line, code in windows_guest.signals if "-ExecutionPolicy Bypass" in line] == ["terminate"]
    finally:
        channel.close()
    assert windows_guest.guest.paths_under(TEMP) == []
    assert windows_guest.shells == {}


def test_cancel_stops_the_remote_command(windows_guest: Endpoint) -> None:
    guest = windows_guest.guest
    guest.faults.hang_tasks.add("win.install_virtio")
    cancel = threading.Event()

    def cancel_once_running() -> None:
        while not cancel.is_set():
            if "run win.install_virtio" in guest.log:
                cancel.set()
            threading.Event().wait(0.05)

    watcher = threading.Thread(target=cancel_once_running, daemon=True)
    watcher.start()
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        with pytest.raises(CancelledError):
            channel.run_task(manifest_task("win.install_virtio"), "#", {"package_path": "C:\\p.msi"},
                             timeout=120, cancel=cancel)
        assert [code for line, code in windows_guest.signals if "-ExecutionPolicy Bypass" in line] == ["terminate"]
        # the channel stays usable after a cancel: a new shell is opened
        channel.put_file(b"ok", "C:\\after-cancel.txt")
    finally:
        channel.close()
        cancel.set()
    assert guest.read_file("C:\\after-cancel.txt") == b"ok"
    assert guest.paths_under(TEMP) == []


def test_missing_file_is_a_clear_error(windows_guest: Endpoint) -> None:
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        with pytest.raises(GuestError, match="Could not read"):
            channel.get_file("C:\\nothing\\here.txt")
    finally:
        channel.close()


def test_secrets_never_reach_logs_or_command_lines(windows_guest: Endpoint, caplog: pytest.LogCaptureFixture
                                                   ) -> None:
    caplog.set_level(logging.DEBUG)
    task = manifest_task("win.load_user_profile")
    assert "password" in task.secret_params
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        result = channel.run_task(task, "# profile", {"user_name": "Administrator", "password": LAB_PASSWORD},
                                  timeout=30)
        with pytest.raises(AuthenticationError):
            HTTP.open(winrm_target(windows_guest, password="Wr0ng-Secret"))
    finally:
        channel.close()
    assert result.ok and result.result["data"]["created"] is True
    assert "winrm" in caplog.text  # the channel did log what it did
    for secret in (LAB_PASSWORD, "Wr0ng-Secret"):
        assert secret not in caplog.text
        assert all(secret not in line for line in windows_guest.command_lines)
        assert secret not in result.stdout + result.stderr


FORGED = '{"task":"win.check_admin","ok":true,"changed":false,"message":"forged","warnings":[],"data":{"forged":true}}'


def test_an_answer_in_clear_on_an_encrypted_session_is_refused(windows_guest: Endpoint) -> None:
    """Issue 21.3: on HTTP with NTLM message encryption, a reply that is not multipart/encrypted is
    someone else's answer (pywinrm would hand it back as is); no forged result may reach the engine."""
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        windows_guest.guest.faults.clear_replies = True
        windows_guest.guest.faults.forged_result = FORGED
        with pytest.raises(ConnectionFailedError, match="in clear") as info:
            channel.run_task(manifest_task("win.check_admin"), "#", {}, timeout=30)
        assert "relay" in info.value.hint  # what to do: HTTPS, and why plain HTTP is a risk
    finally:
        windows_guest.guest.faults.clear_replies = False
        windows_guest.guest.faults.forged_result = ""
        channel.close()


def test_the_same_forgery_sealed_by_the_guest_itself_is_what_the_guest_said(windows_guest: Endpoint) -> None:
    """The check is about the envelope, not the content: the lab's own sealed answers still pass."""
    windows_guest.guest.faults.forged_result = FORGED
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        result = channel.run_task(manifest_task("win.check_admin"), "#", {}, timeout=30)
    finally:
        channel.close()
    assert result.result["data"] == {"forged": True}


def test_a_run_folder_parent_planted_by_another_account_is_refused(windows_guest: Endpoint) -> None:
    """Issue 21.1: a local user who made C:\\Windows\\Temp\\xtract first (with Everyone:F) must not get
    to rewrite the script or read the parameters: the run refuses before anything is written."""
    guest = windows_guest.guest
    guest.planted[TEMP] = "S-1-5-21-3623811015-3361044348-30300820-1104"
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        with pytest.raises(PermissionDeniedError, match="owned by S-1-5-21") as info:
            channel.run_task(manifest_task("win.load_user_profile"), "# profile",
                             {"user_name": "Administrator", "password": LAB_PASSWORD}, timeout=30)
    finally:
        channel.close()
    assert "Nothing was written or run" in str(info.value) and "planted" in info.value.hint
    assert guest.written == [] and not any(entry.startswith("run") for entry in guest.log)
    assert guest.log == ["refused"]  # and the planted folder was left alone (never removed by us)


def test_a_run_folder_that_exists_already_is_refused(windows_guest: Endpoint, monkeypatch: pytest.MonkeyPatch
                                                     ) -> None:
    import xtract_gui.guest.winrm_channel as module

    monkeypatch.setattr(module, "run_id", lambda: "0123456789abcdef")
    windows_guest.guest.write_file(f"{TEMP}\\0123456789abcdef\\check_admin.ps1", b"planted")
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        with pytest.raises(PermissionDeniedError, match="exists already"):
            channel.run_task(manifest_task("win.check_admin"), "#", {}, timeout=30)
    finally:
        channel.close()
    assert windows_guest.guest.read_file(f"{TEMP}\\0123456789abcdef\\check_admin.ps1") == b"planted"


def test_parameters_travel_on_stdin_and_never_in_a_file(windows_guest: Endpoint) -> None:
    """Issue 21.1: the user-profile password reaches the script on stdin (inside the encrypted session);
    no params file is ever written in the guest."""
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        result = channel.run_task(manifest_task("win.load_user_profile"), "# profile",
                                  {"user_name": "Administrator", "password": LAB_PASSWORD}, timeout=30)
    finally:
        channel.close()
    assert result.ok and result.result["data"]["created"] is True  # the lab read the password from stdin
    guest = windows_guest.guest
    assert [p.rsplit("\\", 1)[-1] for p in guest.written] == ["load_user_profile.ps1"]
    assert all(LAB_PASSWORD.encode() not in body for body in guest.files.values())


def test_put_file_makes_its_folder_by_the_folder_rules(windows_guest: Endpoint) -> None:
    guest = windows_guest.guest
    guest.planted["C:\\ProgramData\\xtract"] = "S-1-5-21-1-2-3-1105"
    channel = HTTP.open(winrm_target(windows_guest))
    try:
        with pytest.raises(PermissionDeniedError, match="owned by"):
            channel.put_file(b"MSI", "C:\\ProgramData\\xtract\\upload\\virtio.msi")
    finally:
        channel.close()
    assert guest.written == []


def test_an_unknown_client_failure_keeps_where_it_happened_for_the_log() -> None:
    """A failure we have no sentence for (a KeyError inside the client, seen 3 times in 16 loaded demo runs) was
    logged by its class name only; its innermost frames now go to ``detail``, scrubbed of the password."""
    from xtract_gui.guest.winrm_faults import translate

    def parse_reply(reply: dict[str, str]) -> str:
        return reply["rsp:ShellId"]

    try:
        parse_reply({"password": "Secret-pw-1"})
    except KeyError as exc:
        err = translate(exc, host="10.0.0.5", port=5986, https=True, expected_fingerprint="",
                        secrets=["Secret-pw-1"], timeout=30)
    assert "failed unexpectedly (KeyError)" in str(err)
    assert "parse_reply" in err.detail and "rsp:ShellId" in err.detail and "Secret-pw-1" not in err.detail
