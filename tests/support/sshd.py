"""Debian's OpenSSH server as a real daemon on a loopback port, chrooted into a private Debian root.

The root (tests/guest_scripts/debian_root.py: debootstrap + openssh-server + sudo) is an overlay per
test, so the accounts, sudo rules, host keys and whatever the channel runs as root stay inside it:
nothing touches this machine's own users or files.  sshd runs with its own config and host keys
(generated in the root), ``UsePAM no`` (passwords checked against the root's /etc/shadow).

Accounts: ``root`` (key only), ``migsvc`` (password; sudo with its password), ``opsbot`` (password; sudo
without one), ``plain`` (password; no sudo), ``mallory`` (a local user with no rights, for attacks).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "S3cret-pass!"
KEY_PASSPHRASE = "key-Passphrase-9"
CONFIG = "/etc/ssh/xtract_test_sshd_config"


@dataclass(frozen=True)
class Sshd:
    root: Path
    port: int
    host_key_pin: str  # "ssh-ed25519 SHA256:…" of the key sshd offers first
    rsa_pin: str
    root_key: str  # private key text (OpenSSH) authorized for root
    migsvc_key_encrypted: str  # migsvc's private key, encrypted with KEY_PASSPHRASE
    host: str = "127.0.0.1"

    def run(self, *argv: str, user: str = "root") -> subprocess.CompletedProcess[str]:
        """A command inside the root (as ``user``)."""
        prefix = ["chroot", str(self.root)] if user == "root" else ["chroot", f"--userspec={user}:{user}",
                                                                   str(self.root)]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "HOME": "/tmp"}
        return subprocess.run([*prefix, *argv], capture_output=True, text=True, env=env, timeout=60, check=False)


def _chroot(root: Path, *argv: str, stdin: str | None = None) -> str:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
    proc = subprocess.run(["chroot", str(root), *argv], input=stdin, capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed in the root: {proc.stderr[-1500:]}")
    return proc.stdout


def _pin(root: Path, pub: str) -> str:
    # ssh-keygen -lf prints "256 SHA256:… comment (ED25519)"; the plan's pin is "<type> SHA256:…".
    fingerprint = _chroot(root, "ssh-keygen", "-lf", pub).split()[1]
    kind = (root / pub.lstrip("/")).read_text().split()[0]
    return f"{kind} {fingerprint}"


def _keypair(root: Path, path: str, passphrase: str = "") -> str:
    _chroot(root, "ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "xtract-test", "-f", path)
    return (root / path.lstrip("/")).read_text()


def _authorize(root: Path, user: str, home: str, public_key: str) -> None:
    ssh = root / home.lstrip("/") / ".ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    (ssh / "authorized_keys").write_text(public_key)
    _chroot(root, "chown", "-R", f"{user}:{user}", f"{home}/.ssh")
    (ssh / "authorized_keys").chmod(0o600)


def prepare_accounts(root: Path) -> tuple[str, str]:
    """Users, sudo rules and keys; returns (root's private key, migsvc's encrypted private key)."""
    for user in ("migsvc", "opsbot", "plain", "mallory"):
        _chroot(root, "useradd", "-m", "-s", "/bin/bash", user)
    _chroot(root, "chpasswd", stdin="".join(f"{u}:{PASSWORD}\n" for u in ("migsvc", "opsbot", "plain", "mallory")))
    sudoers = root / "etc/sudoers.d/xtract-test"
    sudoers.write_text("migsvc ALL=(ALL:ALL) ALL\nopsbot ALL=(ALL:ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)
    keys = "/etc/ssh/xtract-test-clients"
    (root / keys.lstrip("/")).mkdir(mode=0o700)
    root_key = _keypair(root, f"{keys}/root")
    migsvc_key = _keypair(root, f"{keys}/migsvc", KEY_PASSPHRASE)
    _authorize(root, "root", "/root", (root / f"{keys}/root.pub".lstrip("/")).read_text())
    _authorize(root, "migsvc", "/home/migsvc", (root / f"{keys}/migsvc.pub".lstrip("/")).read_text())
    return root_key, migsvc_key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"sshd exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"sshd did not listen on {port} within {timeout} s: {log.read_text()[-2000:]}")


@contextmanager
def chrooted_sshd(root: Path) -> Iterator[Sshd]:
    """sshd on 127.0.0.1:<free port>, chrooted into ``root`` (an overlay the caller owns)."""
    root_key, migsvc_key = prepare_accounts(root)
    keys = "/etc/ssh/xtract-test-host"
    (root / keys.lstrip("/")).mkdir(mode=0o700)
    for kind in ("ed25519", "rsa"):
        _chroot(root, "ssh-keygen", "-q", "-t", kind, "-N", "", "-f", f"{keys}/ssh_host_{kind}_key")
    (root / "run/sshd").mkdir(parents=True, exist_ok=True, mode=0o755)
    port = free_port()
    (root / CONFIG.lstrip("/")).write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {keys}/ssh_host_ed25519_key\nHostKey {keys}/ssh_host_rsa_key\n"
        "PidFile /run/xtract-test-sshd.pid\nUsePAM no\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication yes\nKbdInteractiveAuthentication no\nStrictModes yes\n"
        "Subsystem sftp internal-sftp\nLogLevel VERBOSE\n")
    proc_dir = root / "proc"
    mounted = subprocess.run(["mount", "-t", "proc", "proc", str(proc_dir)], capture_output=True,
                             check=False).returncode == 0
    log = root / "var/log/xtract-test-sshd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["chroot", str(root), "/usr/sbin/sshd", "-D", "-e", "-f", CONFIG], stdout=out,
                                stderr=subprocess.STDOUT, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"})
    try:
        wait_for_port(port, proc, log)
        yield Sshd(root=root, port=port, host_key_pin=_pin(root, f"{keys}/ssh_host_ed25519_key.pub"),
                   rsa_pin=_pin(root, f"{keys}/ssh_host_rsa_key.pub"), root_key=root_key,
                   migsvc_key_encrypted=migsvc_key)
    finally:
        # sshd's per-connection children outlive the listener: end them too, by the pids it started.
        children = _children(proc.pid)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, 15)
        deadline = time.monotonic() + 30  # the root is unmounted next: nothing of sshd may still run in it
        while any(Path(f"/proc/{c}").exists() for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        if mounted:
            subprocess.run(["umount", "-l", str(proc_dir)], check=False)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split() if p.isdigit()]
