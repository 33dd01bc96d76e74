"""Power changes on either side that survive a lost answer.

Asking again is not idempotent here: vCenter refuses to power on a VM that is on (``InvalidPowerState``, our
``ConflictError``), so a retry after an answer that was lost would fail although the first call worked.  Each
change therefore looks at the power state first and after every failure: the state is the marker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ..domain.errors import ConflictError, XtractError
from .context import JobContext
from .resilient import retryable


async def _settle(ctx: JobContext, change: Callable[[], Awaitable[object]], state: Callable[[], Awaitable[str]],
                  want: str) -> None:
    policy = ctx.session.tuning.retry
    failures = 0
    while True:
        if await state() == want:
            return
        try:
            await change()
            return
        except Exception as exc:
            failures += 1
            if not (retryable(exc) or isinstance(exc, ConflictError)) or failures >= policy.attempts:
                try:
                    if await state() == want:
                        return  # the lost answer's call did it
                except XtractError:
                    pass
                raise
            await asyncio.sleep(policy.delay(failures))


async def _source_state(ctx: JobContext) -> str:
    return (await ctx.call(ctx.session.source().get_vm, ctx.vm_id)).power_state.value


async def power_source(ctx: JobContext, want: str) -> None:
    """Power the source VM ``want`` ("on" or "off"); done already is fine."""
    src = ctx.session.source()
    change = src.power_on if want == "on" else src.power_off
    await _settle(ctx, lambda: ctx.blocking(change, ctx.vm_id), lambda: _source_state(ctx), want)


async def shutdown_source_guest(ctx: JobContext) -> None:
    """Ask the guest to shut down; after a lost answer ask again, and a refusal because it is already going down
    (or off) is fine: the caller waits for the power state either way."""
    src = ctx.session.source()
    policy = ctx.session.tuning.retry
    failures = 0
    while True:
        try:
            await ctx.call(src.shutdown_guest, ctx.vm_id)
            return
        except Exception as exc:
            if failures and isinstance(exc, ConflictError):
                return  # the earlier request whose answer was lost is under way
            failures += 1
            if not retryable(exc) or failures >= policy.attempts:
                raise
            if await _source_state(ctx) == "off":
                return
            await asyncio.sleep(policy.delay(failures))


async def power_target_on(ctx: JobContext, vm_uuid: str) -> None:
    target = ctx.session.target()

    async def state() -> str:
        return (await ctx.call(target.get_vm, vm_uuid)).power_state.value

    await _settle(ctx, lambda: ctx.call(target.set_power_state, vm_uuid, "on", cancel=ctx.cancel), state, "on")
