"""XDR encoding by hand: padding, sizes and truncated replies (no server needed)."""

from __future__ import annotations

import pytest

from xtract_gui.domain.errors import XtractError
from xtract_gui.target.nfs.rpc import AuthSys
from xtract_gui.target.nfs.xdr import Packer, Unpacker


def test_round_trip_with_padding() -> None:
    p = Packer().uint(7).int(-2).hyper(2**40 + 3).bool(True).opaque(b"abcde").string("dé").fopaque(b"123")
    p.uint_array([1, 2, 3])
    raw = p.bytes()
    assert len(raw) % 4 == 0 and p.size() == len(raw)
    u = Unpacker(raw)
    assert (u.uint(), u.int(), u.hyper(), u.bool()) == (7, -2, 2**40 + 3, True)
    assert (u.opaque(), u.string(), u.fopaque(3), u.uint_array()) == (b"abcde", "dé", b"123", [1, 2, 3])
    assert u.remaining == 0


def test_truncated_or_oversized_replies_are_project_errors() -> None:
    with pytest.raises(XtractError, match="malformed"):
        Unpacker(b"\0\0\0\x08abc").opaque()
    with pytest.raises(XtractError, match="limit"):
        Unpacker(Packer().opaque(b"x" * 100).bytes()).opaque(64)


def test_auth_sys_credential_layout() -> None:
    raw = AuthSys(uid=0, gid=0, gids=(5, 6), machine_name="laptop").encode()
    u = Unpacker(raw)
    assert u.uint() == 1  # AUTH_SYS
    body = Unpacker(u.opaque())
    body.uint()  # stamp
    assert (body.string(), body.uint(), body.uint(), body.uint_array()) == ("laptop", 0, 0, [5, 6])
