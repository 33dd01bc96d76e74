"""The staged debootstrap root that the Linux script tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .debian_root import writable_root
from .test_linux_debootstrap import stage_source_vm


@pytest.fixture
def debian(tmp_path: Path) -> Iterator[Path]:
    """A private Debian root (overlay on the cached debootstrap tree) staged as the source VM's guest."""
    with writable_root(tmp_path / "debian") as root:
        stage_source_vm(root)
        yield root
