"""Shared fixtures. The tests load the libcallmem.so named by CALLMEM_LIBRARY
(scripts/test-python sets it to the one just built)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import callmem


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "calls.db")


@pytest.fixture
def memory(db_path: str) -> Iterator[callmem.CallMemory]:
    with callmem.CallMemory(db_path) as m:
        yield m


def start_request(call_id: str, ani: str = "+14155551234") -> dict:
    return {"call_id": call_id, "identity_hints": {"ani": ani}, "telco": {"line_type": "mobile"}}
