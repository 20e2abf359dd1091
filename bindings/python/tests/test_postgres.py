"""The PostgreSQL store through the Python package: two handles (two nodes)
on one database. Needs the server scripts/test starts (CALLMEM_TEST_PG_DSN)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

import callmem

DSN = os.environ.get("CALLMEM_TEST_PG_DSN", "")

pytestmark = pytest.mark.skipif(not DSN, reason="CALLMEM_TEST_PG_DSN is not set (scripts/test sets it)")


def config() -> dict:
    # A schema of the test's own: nothing shared with other runs.
    return {"store": "postgres", "dsn": DSN, "schema": "py_" + uuid.uuid4().hex[:12], "pool_size": 4}


def start(call_id: str, ani: str) -> dict:
    return {"call_id": call_id, "identity_hints": {"ani": ani}, "telco": {"line_type": "mobile"}}


def test_two_nodes_share_one_memory() -> None:
    cfg = config()
    with callmem.CallMemory(cfg) as a, callmem.CallMemory(**cfg) as b:
        first = a.start_call("acme", start("py-1", "+14155550177"))
        a.end_call("acme", call_id="py-1", intent="refund_request", variables={"name": "Ann"})
        second = b.start_call("acme", start("py-2", "+14155550177"))
        assert second["customer_ref"] == first["customer_ref"]
        assert second["identity"]["recommendation"] == "reuse"
        assert second["variables"]["name"]["value"] == "Ann"
        assert [i["intent"] for i in second["open_intents"]] == ["refund_request"]
        # A replay on the other node answers the same.
        assert a.start_call("acme", start("py-2", "+14155550177")) == second


def test_threads_on_two_nodes_make_one_customer() -> None:
    cfg = config()
    with callmem.CallMemory(cfg) as a, callmem.CallMemory(cfg) as b:
        refs: list = []
        lock = threading.Lock()

        def run(n: int) -> None:
            r = (a if n % 2 else b).start_call("acme", start(f"race-{n}", "+14155550188"))
            with lock:
                refs.append(r["customer_ref"])

        threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(refs) == 8 and len(set(refs)) == 1


def test_postgres_without_dsn_names_the_field() -> None:
    with pytest.raises(callmem.InvalidRequest) as e:
        callmem.CallMemory(store="postgres")
    assert "dsn" in str(e.value)
