"""A real Debian root file system for the Linux guest scripts, built once with debootstrap and cached.

The tarball is keyed by everything that shapes it (suite, variant, package list, our tweaks), so a
change to any of them builds a new one. MODULES=list makes the baseline initramfs hold only what
/etc/initramfs-tools/modules names: without it Debian's MODULES=most already carries VirtIO, and the
test could not tell whether our script did anything.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SUITE = "bookworm"
VARIANT = "minbase"
PACKAGES = ("initramfs-tools", "linux-image-cloud-amd64", "systemd", "kmod")
# Installed after debootstrap with daemons kept from starting: the SSH channel's tests run this root's
# sshd (chrooted, on a loopback port) and sudo.
SERVICES = ("openssh-server", "sudo")
TWEAKS = "MODULES=list;update-initramfs -u -k all;apt-get clean;no doc/man/locale;v2;services"
MIRROR = os.environ.get("XTRACT_DEBIAN_MIRROR", "http://deb.debian.org/debian")
_UNREACHABLE = ("Failed getting release file", "Couldn't download", "Temporary failure resolving",
                "Could not resolve", "Network is unreachable", "Connection refused", "Connection timed out")


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = base / "xtract-gui"
    path.mkdir(parents=True, exist_ok=True)
    return path


def tarball_path() -> Path:
    key = hashlib.sha256("|".join((SUITE, VARIANT, ",".join(PACKAGES + SERVICES), TWEAKS)).encode()).hexdigest()[:16]
    return cache_dir() / f"debian-{SUITE}-{VARIANT}-{key}.tar"


def ensure_tarball() -> Path:
    """The cached root tarball; builds it (about a minute on a warm mirror) when missing."""
    if os.geteuid() != 0:
        pytest.skip("debootstrap and chroot need root")
    for tool in ("debootstrap", "chroot", "tar"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (tests/run.sh installs debootstrap)")
    tar = tarball_path()
    with open(tar.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel sessions wait for one build instead of racing
        if tar.exists():
            return tar
        build = Path(tempfile.mkdtemp(prefix="debootstrap-", dir=cache_dir()))
        try:
            root = build / "root"
            proc = subprocess.run(
                ["debootstrap", f"--variant={VARIANT}", f"--include={','.join(PACKAGES)}", SUITE, str(root), MIRROR],
                capture_output=True, text=True, timeout=900, check=False)
            if proc.returncode != 0:
                log = proc.stdout + proc.stderr
                if any(marker in log for marker in _UNREACHABLE):
                    pytest.skip(f"debootstrap cannot reach the Debian mirror {MIRROR}: {log.strip().splitlines()[-1]}")
                raise AssertionError(f"debootstrap failed ({proc.returncode}):\n{log[-3000:]}")
            install_without_starting(root, SERVICES)
            conf = root / "etc/initramfs-tools/initramfs.conf"
            conf.write_text(conf.read_text().replace("MODULES=most", "MODULES=list"))
            subprocess.run(["chroot", str(root), "update-initramfs", "-u", "-k", "all"], capture_output=True,
                           check=True, timeout=300)
            # Nothing the scripts read: a smaller tree is faster to unpack on every cold run.
            subprocess.run(["chroot", str(root), "apt-get", "clean"], capture_output=True, check=True, timeout=120)
            for sub in ("usr/share/doc", "usr/share/man", "usr/share/locale"):
                shutil.rmtree(root / sub, ignore_errors=True)
            partial = tar.with_suffix(".partial")
            subprocess.run(["tar", "--numeric-owner", "-cf", str(partial), "-C", str(root), "."], check=True,
                           timeout=300)
            partial.rename(tar)
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return tar


def install_without_starting(root: Path, packages: tuple[str, ...]) -> None:
    """apt-get install inside the root with policy-rc.d refusing every start: a maintainer script must not
    start the root's sshd on this machine's port 22."""
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
    try:
        proc = subprocess.run(["chroot", str(root), "apt-get", "install", "-y", "-q", "--no-install-recommends",
                               *packages], capture_output=True, text=True, env=env, timeout=900, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"apt-get install {' '.join(packages)} failed in the root:\n"
                                 f"{(proc.stdout + proc.stderr)[-3000:]}")
    finally:
        policy.unlink(missing_ok=True)


def extract(tar: Path, into: Path) -> Path:
    into.mkdir(parents=True)
    subprocess.run(["tar", "--numeric-owner", "-xf", str(tar), "-C", str(into)], check=True, timeout=300)
    return into


def base_tree(tar: Path) -> Path:
    """The tarball unpacked once next to it: the read-only lower layer of every test's overlay."""
    tree = tar.with_suffix(".d")
    done = tree / ".xtract-complete"
    with open(tar.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(tree, ignore_errors=True)
            extract(tar, tree)
            done.touch()
    return tree


@contextmanager
def writable_root(workdir: Path) -> Iterator[Path]:
    """A private, writable Debian root: an overlay on the cached tree, or a full copy without overlayfs."""
    tar = ensure_tarball()
    merged, upper, work = workdir / "root", workdir / "upper", workdir / "work"
    for d in (merged, upper, work):
        d.mkdir(parents=True)
    lower = base_tree(tar)
    mounted = subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower},upperdir={upper},workdir={work}", str(merged)],
        capture_output=True, check=False).returncode == 0
    try:
        if not mounted:
            merged.rmdir()
            extract(tar, merged)
        yield merged
    finally:
        if mounted:
            subprocess.run(["umount", str(merged)], check=False)
        shutil.rmtree(workdir, ignore_errors=True)


def initramfs_listing(root: Path) -> dict[str, str]:
    """Kernel version -> lsinitramfs output, run inside the root with Debian's own tool."""
    listings = {}
    for image in sorted((root / "boot").glob("initrd.img-*")):
        out = subprocess.run(["chroot", str(root), "lsinitramfs", f"/boot/{image.name}"], capture_output=True,
                             text=True, check=True, timeout=120)
        listings[image.name.removeprefix("initrd.img-")] = out.stdout
    return listings
