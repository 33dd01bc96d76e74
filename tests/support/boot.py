"""The boot tests (marker ``boot``) run last, and the guest images they need are built meanwhile.

A cold image cache costs minutes of TCG per family (the installer and finishing boots; the root trees are cached
apart).  Built in the background while the rest of the suite runs, that time is mostly hidden: each build is one
QEMU process with one vCPU (lab/qemu/hardware.vcpus), on the core the rest of the suite leaves.  A boot test's own
``ensure_image`` then takes the image from the cache, or waits on the family's lock for the build under way; a
background build that failed is simply tried again there, so its error reaches the test.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from typing import Any

import pytest

log = logging.getLogger("tests.boot")
FAMILIES = ("debian", "rhel", "ubuntu")  # the families tests/boot/test_journey.py migrates
JOURNEYS_KEY: pytest.StashKey[Any] = pytest.StashKey()


def _prebuild(family: str) -> None:
    from tests.images.build import ensure_image

    t = time.monotonic()
    try:
        ensure_image(family)
        log.info("boot tests: the %s image is ready after %.0f s", family, time.monotonic() - t)
    except Exception as exc:  # the test's own ensure_image tries again and fails with the reason
        log.warning("boot tests: building the %s image in the background failed: %s", family, exc)


@pytest.hookimpl(trylast=True)  # after -m / -k deselected: only the boot tests that will run count
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    boot = [i for i in items if i.get_closest_marker("boot")]
    if not boot:
        return
    items[:] = [i for i in items if not i.get_closest_marker("boot")] + boot  # stable: same order otherwise
    if os.geteuid() != 0 or not shutil.which("qemu-system-x86_64") or config.getoption("collectonly"):
        return
    # The journeys themselves start now too (each builds or waits for its image first): their guests run below the
    # suite's priority (lab/qemu/process.GUEST_NICENESS), so the rest of the suite keeps most of a core while the
    # guests use what it leaves, instead of the journeys' ~13 minutes coming after everything else.
    from tests.boot.test_journey import JOURNEYS, Journeys

    names = [i.name for i in boot if i.name in JOURNEYS]
    if names:
        config.stash[JOURNEYS_KEY] = Journeys(config._tmp_path_factory.mktemp("journeys"), names)  # type: ignore[attr-defined]
    started = {JOURNEYS[n][0] for n in names}
    for family in FAMILIES:
        if family not in started:
            threading.Thread(target=_prebuild, args=(family,), name=f"prebuild-{family}", daemon=True).start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    pool = session.config.stash.get(JOURNEYS_KEY, None)
    if pool is not None:
        pool.close()  # journeys no test took (interrupted, deselected later): their labs stop
