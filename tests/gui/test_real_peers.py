"""The connect pages against real peers: govmomi's vCenter simulator over TLS and the Prism simulator (PC, TLS),
through the real wiring and adapters (certificate probe, trust on first use, authentication errors, inventory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xtract_gui.gui.screenshots import wait_until
from xtract_gui.gui.window import MainWindow
from xtract_gui.gui.wizard.flow import PageId
from xtract_gui.wiring import DictSecrets

from .conftest import OFFSCREEN_LIMITS, run

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]


def _type(page, host: str, port: int, user: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.host.setText(host)
    page.port.setValue(port)
    page.user.setText(user)
    page.password.setText(password)
    page.password.textEdited.emit(password)


def _window(qtbot, aloop, state_dir: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(state_dir=state_dir, secret_store=DictSecrets())
    qtbot.addWidget(window)
    window.show()
    run(aloop, window.start_up())
    return window


@pytest.mark.vcsim
def test_source_page_trusts_pins_and_reads_vcsim(qtbot, aloop, state_dir: Path, vcsim) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, aloop, state_dir)
    try:
        page = window.wizard.page(PageId.SOURCE)
        _type(page, vcsim.host, vcsim.port, vcsim.user, "not-the-password")
        page.connect_button.click()
        run(aloop, wait_until(lambda: page.cert_frame.isVisible(), 30, "certificate"))
        assert vcsim.fingerprint in page.cert_text.text()
        page.trust_button.click()
        state = window.flow.state.source
        run(aloop, wait_until(lambda: state.connected or state.error, 60, "connect"))
        assert not state.connected
        assert page.error_labels["password"].isVisibleTo(page) and page.error_labels["password"].text()
        assert not window.wizard.next_button.isEnabled()
        _type(page, vcsim.host, vcsim.port, vcsim.user, vcsim.password)
        page.connect_button.click()  # the certificate is remembered: no second question
        run(aloop, wait_until(lambda: state.connected or state.error, 60, "connect"))
        assert state.connected, state.error
        assert not page.cert_frame.isVisible()
        assert window.backend.pins.get(vcsim.host, vcsim.port) == vcsim.fingerprint
        assert len(window.flow.state.inventory.vms) == 4
        window.wizard.next_button.click()
        assert window.flow.current is PageId.TARGET
    finally:
        window._quit_ok = True
        run(aloop, window.shut_down())


@pytest.mark.prism
@pytest.mark.parametrize(("mode", "tls", "kind"), [("pe", True, "Prism Element"), ("pe", False, "Prism Element")])
def test_target_page_against_the_prism_simulator(qtbot, aloop, state_dir: Path, prism_factory, mode: str,  # type: ignore[no-untyped-def]
                                                 tls: bool, kind: str) -> None:
    # Prism Central (which reaches its cluster's Prism Element) is driven by the test below.
    from tests.support.prism import PRISM_PASSWORD, PRISM_USER

    sim = prism_factory(mode, tls=tls)
    window = _window(qtbot, aloop, state_dir)
    try:
        window.wizard.show_page(PageId.TARGET)
        page = window.wizard.page(PageId.TARGET)
        t = window.flow.state.target
        t.protocol = "https" if tls else "http"
        _type(page, sim.host, sim.port, PRISM_USER, "wrong")
        page.cold.setChecked(True)  # HTTPS only: no NFS needed for the check
        page.connect_button.click()
        if tls:
            run(aloop, wait_until(lambda: page.cert_frame.isVisible(), 30, "certificate"))
            assert sim.fingerprint in page.cert_text.text()
            page.trust_button.click()
        run(aloop, wait_until(lambda: t.connected or t.error, 60, "connect"))
        assert not t.connected and page.error_labels["password"].text()
        _type(page, sim.host, sim.port, PRISM_USER, PRISM_PASSWORD)
        page.connect_button.click()
        run(aloop, wait_until(lambda: t.connected or t.error, 60, "connect"))
        assert t.connected, t.error
        assert page.kind_label.text().startswith(kind)
        assert t.clusters and t.subnets
        if page.cluster.currentIndex() < 1:
            page.cluster.setCurrentIndex(1)
        assert page.container.count() >= 2 and " free of " in page.container.itemText(1)
        page.container.setCurrentIndex(1)
        run(aloop, wait_until(lambda: t.mode_reachable is True, 30, "mode"))
        assert window.wizard.next_button.isEnabled()
    finally:
        window._quit_ok = True
        run(aloop, window.shut_down())


def _connect_and_wait(aloop, page, t) -> None:  # type: ignore[no-untyped-def]
    t.connected, t.error = False, ""
    page.connect_button.click()
    run(aloop, wait_until(lambda: t.connected or t.error or page.cert_frame.isVisible(), 60, "connect"))


@pytest.mark.prism
def test_prism_central_over_tls_pins_its_clusters_element_too(qtbot, aloop, state_dir: Path,  # type: ignore[no-untyped-def]
                                                               prism_factory) -> None:
    """Prism Central reads containers from the cluster's Prism Element, which has its own certificate: the page
    offers it like the first one, pins it, and the plan carries the pin; the next session asks nothing."""
    from tests.prism.conftest import SEED
    from tests.support.prism import PRISM_PASSWORD, PRISM_USER

    pc = prism_factory("pc", tls=True, seed=SEED)
    pe = prism_factory("pe", tls=True, seed=SEED)  # the element on its own port, with another certificate
    assert pc.fingerprint != pe.fingerprint

    def target_page(window: MainWindow):  # type: ignore[no-untyped-def]
        window.wizard.show_page(PageId.TARGET)
        page = window.wizard.page(PageId.TARGET)
        _type(page, pc.host, pc.port, PRISM_USER, PRISM_PASSWORD)
        page.cold.setChecked(True)  # HTTPS only: no NFS needed for the mode check
        window.flow.state.target.element_port = pe.port  # a plan field; a real element listens on 9440 too
        return page

    window = _window(qtbot, aloop, state_dir)
    try:
        page, t = target_page(window), window.flow.state.target
        _connect_and_wait(aloop, page, t)
        assert pc.fingerprint in page.cert_text.text() and "Prism Element" not in page.cert_text.text()
        page.trust_button.click()
        run(aloop, wait_until(lambda: t.connected or t.error or "Prism Element" in page.cert_text.text(), 60, "pc"))
        assert not t.connected and not t.error
        assert page.cert_frame.isVisible()
        assert f"Prism Element {pe.host}" in page.cert_text.text() and pe.fingerprint in page.cert_text.text()
        page.trust_button.click()
        run(aloop, wait_until(lambda: t.connected or t.error, 60, "element"))
        assert t.connected, t.error
        assert page.kind_label.text().startswith("Prism Central")
        assert t.element_fingerprints == {pe.host: pe.fingerprint}
        assert window.backend.pins.get(pe.host, pe.port) == pe.fingerprint
        page.cluster.setCurrentIndex(max(1, page.cluster.currentIndex()))
        assert page.container.count() >= 2 and " free of " in page.container.itemText(1)  # read via the element
    finally:
        window._quit_ok = True
        run(aloop, window.shut_down())

    # A new session over the same trusted-certificates store: both pins are known, nothing is asked.
    again = _window(qtbot, aloop, state_dir)
    try:
        page, t = target_page(again), again.flow.state.target
        _connect_and_wait(aloop, page, t)
        assert t.connected, t.error or page.cert_text.text()
        assert not page.cert_frame.isVisible()
        assert t.element_fingerprints == {pe.host: pe.fingerprint}
        # The element's certificate is replaced: a pinned element that changes stops the connection.
        again.backend.pins.pin(pe.host, pe.port, ":".join(["AB"] * 32))
        t.element_fingerprints = {}
        _connect_and_wait(aloop, page, t)
        assert not t.connected and not page.cert_frame.isVisible()
        assert "not the one you accepted" in page.error_labels["host"].text()
    finally:
        again._quit_ok = True
        run(aloop, again.shut_down())
