"""The CLI never prints a traceback: transport faults of a real peer (the lab Prism behind the fault proxy) end in
one line with what to do, and an unexpected error ends in one line naming the log that holds the details."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cli.test_cli import _one_line, _plan_file, cli, env, lab  # noqa: F401 - fixtures
from tests.support.faultproxy import FaultProxy, Rule
from xtract_gui.lab.runner import Lab

pytestmark = pytest.mark.prism


def test_plan_validate_through_a_prism_whose_answers_break_off(tmp_path: Path, env: dict[str, str], lab: Lab,  # noqa: F811
                                                               fault_proxy: Callable[..., FaultProxy]) -> None:
    assert lab.endpoints is not None
    proxy = fault_proxy(lab.endpoints.prism_port)
    proxy.add_rule(Rule("mid_answer", rb"^GET /PrismGateway/services/rest/v2\.0/vms", times=0))
    plan = lab.endpoints.plan
    plan = replace(plan, target=replace(plan.target, port=proxy.port))
    out = cli("plan", "validate", _plan_file(tmp_path, plan), env=env)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    line = _one_line(out.stderr)
    assert "Prism" in line and "kept breaking" in line, line
    assert proxy.injected["mid_answer"] >= 2  # retried before giving up


def test_an_unexpected_error_is_one_line_and_the_details_go_to_the_log(env: dict[str, str]) -> None:  # noqa: F811
    # No peer can make the CLI fail this way; a plan path that is a folder stands in for a defect in our code.
    out = cli("report", "--html", "/", env=env)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    line = _one_line(out.stderr)
    assert "unexpected" in line and "xtract-cli.log" in line, line
    log = Path(env["XTRACT_GUI_HOME"]) / "logs" / "xtract-cli.log"
    assert "Traceback" in log.read_text()
