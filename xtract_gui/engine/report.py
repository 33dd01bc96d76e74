"""The migration report: one self-contained, printable HTML page per plan (no scripts, no external files)."""

from __future__ import annotations

import html
import time
from typing import Any

from ..domain.messages import decode
from ..domain.states import JobState
from ..domain.units import human_bytes
from .store import Store

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0 1em;width:100%}th,td{border:1px solid #ccc;padding:3px 6px;
text-align:left;font-size:.9em}th{background:#f3f3f3}.failed,.blocker{color:#b00}.warning{color:#a60}
.succeeded,.done{color:#070}.done_unverified{color:#a60}@media print{body{margin:0}h2{page-break-before:auto}}
"""


def _t(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) if at else ""


def _table(headers: list[str], rows: list[list[Any]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{html.escape(classes[i])}"' if classes and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>" if rows else "<p>None.</p>"


def render_report(store: Store, plan_id: str | None = None) -> str:
    plan_ids = [plan_id] if plan_id else store.plan_ids()
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>xtract-gui migration report</title>"
             f"<style>{_CSS}</style></head><body><h1>Migration report</h1><p>Generated {_t(time.time())}.</p>"]
    for pid in plan_ids:
        try:
            plan = store.plan(pid)
        except KeyError:
            continue
        jobs = store.jobs(pid)
        if not jobs:
            continue
        parts.append(f"<h2>Plan {html.escape(plan.name)} ({html.escape(pid)})</h2>")
        parts.append(_table(["Source", "Target", "Mode", "VMs"],
                            [[f"{plan.source.host}", f"{plan.target.host}", plan.transfer_mode.value, len(plan.vms)]]))
        summary = []
        for job in jobs:
            d = job.data
            syncs = store.syncs(job.vm_id)
            downtime = d.get("downtime_seconds")
            state = "done, not verified" if job.state is JobState.DONE_UNVERIFIED else job.state.value
            why = decode(d.get("check", "")) if job.state is JobState.DONE_UNVERIFIED else job.error
            summary.append([job.name, state, human_bytes(sum(r["bytes"] for r in syncs)), len(syncs),
                            f"{downtime:.0f} s" if downtime is not None else "", why])
        parts.append(_table(["VM", "State", "Bytes copied", "Syncs", "Downtime", "Error or what to check"], summary,
                            [j.state.value for j in jobs]))
        for job in jobs:
            parts.append(_vm_section(store, job.vm_id, job.name, job.data))
    parts.append("</body></html>")
    return "\n".join(parts)


def _vm_section(store: Store, vm_id: str, name: str, data: dict[str, Any]) -> str:
    out = [f"<h3>{html.escape(name)} ({html.escape(vm_id)})</h3>"]
    findings = data.get("findings", [])
    out.append("<h4>Readiness</h4>")
    out.append(_table(["Severity", "Finding", "Fix"],
                      [[f["severity"], decode(f["message"]), decode(f["fix"])] for f in findings],
                      [f["severity"] for f in findings]))
    steps = store.steps(vm_id)
    out.append("<h4>Steps</h4>")
    out.append(_table(["Step", "State", "Started", "Ended", "Message"],
                      [[s["title"], s["state"], _t(s["started"]), _t(s["ended"]), s["message"]] for s in steps],
                      [s["state"] for s in steps]))
    if data.get("full_copies"):  # CBT could not be trusted for these: the whole disk was copied
        out.append("<h4>Full copies instead of deltas</h4>")
        out.append(_table(["Sync", "Disk", "Why", "At"],
                          [["Seed" if c["sync"] == 0 else c["sync"], c["disk"], c["reason"], _t(c.get("at"))]
                           for c in data["full_copies"]], ["warning"] * len(data["full_copies"])))
    syncs = store.syncs(vm_id)
    out.append("<h4>Sync history</h4>")
    out.append(_table(["Sync", "At", "Bytes", "Seconds", "Projected downtime"],
                      [["Seed" if r["n"] == 0 else r["n"], _t(r["at"]), human_bytes(r["bytes"]), f"{r['seconds']:.1f}",
                        f"{r['projected']:.0f} s"] for r in syncs]))
    cut = store.cutovers(vm_id)
    out.append("<h4>Cutover</h4>")
    out.append(_table(["Requested by", "At", "Outcome", "Downtime"],
                      [[c["requested_by"], _t(c["requested_at"]), c["outcome"] or "in progress",
                        "" if c["downtime"] is None else f"{c['downtime']:.0f} s"] for c in cut]))
    tests = data.get("test_vms", [])
    if tests:  # every test VM made, and when and why it went (at cutover, or removed by a person)
        out.append("<h4>Test VMs</h4>")
        out.append(_table(["Name", "AHV uuid", "Created", "Removed", "Removed by"],
                          [[t["name"], t["uuid"], _t(t.get("created_at")), _t(t.get("removed_at")) or "still there",
                            t.get("removed_by", "")] for t in tests],
                          ["" if t.get("removed_at") else "warning" for t in tests]))
    if data.get("target_vm_uuid"):
        out.append(f"<p>AHV VM: {html.escape(str(data['target_vm_uuid']))}; downtime "
                   f"{float(data.get('downtime_seconds', 0)):.0f} s.</p>")
    return "\n".join(out)
