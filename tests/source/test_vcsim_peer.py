"""The simulator itself: where it lives, what it needs, and what it keeps off its command line."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from xtract_gui.lab import vcsim as lab_vcsim
from xtract_gui.lab.vcsim import VcsimProcess, VcsimUnavailable, build_vcsim, go_sources

pytestmark = pytest.mark.vcsim


def test_go_sources_are_part_of_the_product_not_the_tests() -> None:
    folder = go_sources()
    assert (folder / "main.go").is_file()
    assert Path(lab_vcsim.__file__).parent in folder.parents
    assert "tests" not in folder.relative_to(Path(lab_vcsim.__file__).parents[3]).parts


def test_password_reaches_the_simulator_through_its_environment_not_argv(
        vcsim_factory: Callable[..., VcsimProcess]) -> None:
    secret = "S3cret-not-in-ps-0xA1"
    sim = vcsim_factory(password=secret)
    cmdline = Path(f"/proc/{sim.process.pid}/cmdline").read_bytes()
    assert secret.encode() not in cmdline
    assert b"-username=user" in cmdline  # it is the simulator's own command line
    # ...and the password works: the environment carried it.
    from tests.source.conftest import connect

    connect(sim).close()


def test_missing_go_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no cached binary
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(VcsimUnavailable) as err:
        build_vcsim()
    assert "Go compiler" in err.value.message
    assert "golang-go" in err.value.hint and "--source python" in err.value.hint


def test_lab_serve_with_vcsim_explains_a_missing_go(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from xtract_gui.lab.runner import Lab

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    lab = Lab(tmp_path / "lab", source="vcsim", vms=2)
    with pytest.raises(VcsimUnavailable) as err:
        lab.start()
    lab.stop()
    assert "golang-go" in str(err.value)
