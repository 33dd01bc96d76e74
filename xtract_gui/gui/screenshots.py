"""Save a screenshot of every wizard page and of the job monitor, in English and Japanese.

    python -m xtract_gui.gui.screenshots OUTDIR [--lang en|ja|all] [--lab]

By default the pages are filled by the scripted preview (``gui.preview``), so
the look can be reviewed on any machine; ``--lab`` drives the real engine on
the embedded lab instead.  Also used by the tests as the "click through every
page" driver (``drive``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from ..domain.plan import GuestChannelKind
from .shared.table import VM_ID_ROLE
from .wizard.flow import PageId

SIZE = (1280, 720)  # the smallest laptop screen a consultant brings (issue 15.10)


async def wait_until(cond: Callable[[], Any], timeout: float = 20.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await asyncio.sleep(0.05)  # let Qt lay out and paint what the last click changed
    while not cond():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what or cond}")
        await asyncio.sleep(0.02)


def _save(widget: QWidget, path: Path | None) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(path))


async def drive(window: Any, shots: Path | None = None, prefix: str = "", *, guest_password: str = "",
                nfs_port: int = 0, cut_over: bool = True, timeout: float = 60.0) -> None:
    """Click through every page as a person would (fields typed, buttons clicked), to a finished cutover."""
    wiz = window.wizard

    def shot(name: str) -> Path | None:
        return shots / f"{prefix}{name}.png" if shots else None

    src = wiz.page(PageId.SOURCE)
    if not src.password.text():
        raise ValueError("the source page must be pre-filled (demo mode or preview credentials)")
    src.connect_button.click()
    await wait_until(lambda: src.cert_frame.isVisible() or window.flow.state.source.connected, timeout, "source")
    if src.cert_frame.isVisible():
        _save(window, shot("1-source-certificate"))
        src.trust_button.click()
    await wait_until(lambda: window.flow.state.source.connected, timeout, "source connect")
    _save(window, shot("1-source"))
    wiz.next_button.click()

    tgt = wiz.page(PageId.TARGET)
    if nfs_port:
        window.flow.state.target.nfs_port = nfs_port
    tgt.connect_button.click()
    await wait_until(lambda: tgt.cert_frame.isVisible() or window.flow.state.target.connected, timeout, "target")
    if tgt.cert_frame.isVisible():
        tgt.trust_button.click()
    await wait_until(lambda: window.flow.state.target.connected, timeout, "target connect")
    if not window.flow.state.target.container_uuid:
        tgt.container.setCurrentIndex(1)
    await wait_until(lambda: wiz.next_button.isEnabled(), timeout, "transfer mode check")
    _save(window, shot("2-target"))
    wiz.next_button.click()

    vms = wiz.page(PageId.VMS)
    if not window.flow.state.selected:
        for row in range(vms.proxy.rowCount()):
            vm_id = vms.proxy.index(row, 0).data(VM_ID_ROLE)
            vm = window.flow.state.inventory.vm(vm_id)
            if vm.power_state.value == "on" and vm.snapshot_count == 0:
                vms.model.set_checked(vm_id, True)
        vms._sync_selection()
    await wait_until(lambda: wiz.next_button.isEnabled(), timeout, "readiness")
    _save(window, shot("3-vms"))
    wiz.next_button.click()

    guests = wiz.page(PageId.GUESTS)
    state = window.flow.state
    for vm in state.selected_vms():  # a VM without a password gets the one given (a person types it per VM)
        g = state.guest(vm.vm_id)
        if g.channel is not GuestChannelKind.NONE and not g.has_credential:
            guests.select([vm.vm_id])
            guests.password.setText(guest_password)
            guests.password.textEdited.emit(guest_password)
            guests.apply_to_selected()
    for vm in state.selected_vms():
        if state.guest(vm.vm_id).channel is GuestChannelKind.NONE:
            continue
        guests.select([vm.vm_id])
        guests.test_button.click()
        await wait_until(lambda v=vm.vm_id: guests.test_button.isEnabled() and (
            state.guest(v).tested_ok is not None or guests.key_frame.isVisible()), timeout, "guest test")
        if guests.key_frame.isVisible():
            _save(window, shot("4-guests-host-key"))
            guests.key_trust.click()
            await wait_until(lambda v=vm.vm_id: guests.test_button.isEnabled()
                             and state.guest(v).tested_ok is not None, timeout, "guest test after trust")
    guests.select([state.selected_vms()[0].vm_id])
    _save(window, shot("4-guests"))
    await wait_until(lambda: wiz.next_button.isEnabled(), timeout, "guest page")
    wiz.next_button.click()

    await wait_until(lambda: wiz.next_button.isEnabled(), timeout, "network page")
    _save(window, shot("5-network"))
    wiz.next_button.click()

    summary = wiz.page(PageId.SUMMARY)
    await wait_until(lambda: summary.start_button.isEnabled(), timeout, "summary")
    _save(window, shot("6-summary"))
    summary.start_button.click()
    if summary.confirm_dialog() is not None and summary.confirm_dialog().isVisible():  # cold mode asks first
        _save(summary.confirm_dialog(), shot("6-summary-confirm"))
        summary.confirm_buttons["ok"].click()
    await wait_until(lambda: window.stack.currentWidget() is window.monitor, timeout, "monitor")
    mon = window.monitor
    if shots is not None:  # a picture mid-copy shows what the monitor is for; skip it if the copy is too quick
        mon.table.selectRow(0)

        def copying() -> bool:
            fractions = [r.fraction for r in mon.jobs.rows() if r.state.value == "seeding"]
            return bool(fractions) and all(0.1 < f < 0.9 for f in fractions) and len(fractions) > 1
        try:
            await wait_until(copying, 10, "copy in progress")
            await asyncio.sleep(0.3)
            _save(window, shot("7-monitor-copying"))
        except TimeoutError:
            pass
    await wait_until(lambda: mon.jobs.rowCount() and all(r.ready_for_cutover for r in mon.jobs.rows()),
                     timeout, "ready for cutover")
    mon.table.selectRow(0)
    await asyncio.sleep(0.3)
    _save(window, shot("7-monitor"))
    if not cut_over:
        return
    mon.table.selectAll()
    mon.buttons["cutover"].click()
    box = mon.confirm_dialog()
    _save(box, shot("8-cutover-confirm"))
    mon.confirm_buttons["ok"].click()
    await wait_until(lambda: all(r.state.is_done for r in mon.jobs.rows()), timeout, "cutover")
    mon.table.selectRow(0)
    await asyncio.sleep(0.3)
    _save(window, shot("9-monitor-done"))


def _nfs_listener() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    return s


async def _capture(outdir: Path, langs: list[str], use_lab: bool) -> None:
    from .app import Translations, create_application
    from .preview import PASSWORD, PreviewManager, PreviewWiring
    from .window import MainWindow

    app = create_application()
    translations = Translations(app)
    listener = _nfs_listener()
    try:
        for lang in langs:
            translations.install(lang)
            with tempfile.TemporaryDirectory() as tmp:
                os.environ.setdefault("XTRACT_GUI_HOME", tmp)
                if use_lab:
                    window = MainWindow(translations=translations, demo=True, state_dir=Path(tmp))
                else:
                    window = MainWindow(translations=translations, state_dir=Path(tmp),
                                        wiring=PreviewWiring(lambda: PreviewManager(speed=12)))
                window.resize(*SIZE)
                window.show()
                await window.start_up()
                if not use_lab:
                    s = window.flow.state
                    s.source.host, s.source.user, s.source.password = "vcsa.corp.local", "migrate@vsphere.local", \
                        PASSWORD
                    s.target.host, s.target.user, s.target.password = "prism-pe.corp.local", "admin", PASSWORD
                    window.wizard.show_page(PageId.SOURCE)
                await drive(window, outdir, f"{lang}-", guest_password=PASSWORD,
                            nfs_port=0 if use_lab else listener.getsockname()[1])
                await window.shut_down()
                window.close()
                window.deleteLater()
    finally:
        listener.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--lang", choices=("en", "ja", "all"), default="all")
    parser.add_argument("--lab", action="store_true", help="drive the real engine on the embedded lab")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync

    from .app import create_application

    app = create_application()
    langs = ["en", "ja"] if args.lang == "all" else [args.lang]
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(_capture(args.outdir, langs, args.lab))
    for p in sorted(args.outdir.glob("*.png")):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
