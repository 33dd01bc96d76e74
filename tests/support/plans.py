"""Plans as the tests start them: cold mode carries the person's yes to power the sources off, which the
wizard asks for at Start (issue 15.1); without it readiness refuses to shut a running VM down."""

from __future__ import annotations

import dataclasses
from typing import Any

from xtract_gui.domain.plan import Plan, TransferMode


def in_mode(plan: Plan, mode: TransferMode, **changes: Any) -> Plan:
    options = changes.pop("options", plan.options)
    if mode is TransferMode.COLD:
        options = dataclasses.replace(options, allow_power_off_for_cold=True)
    return dataclasses.replace(plan, transfer_mode=mode, options=options, **changes)
