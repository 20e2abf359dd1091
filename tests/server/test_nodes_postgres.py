"""Two `callmem serve` nodes on one PostgreSQL database are one service."""

import threading

from conftest import Server, create_key, run_cli

ANI = "+14155551234"


def test_two_nodes_are_one_service(pg_store, tmp_path):
    a = Server(pg_store, tmp_path / "a.log")
    b = Server(pg_store, tmp_path / "b.log")
    try:
        # A key made once is valid on every node.
        key = create_key(pg_store, "acme")
        k = key["key"]

        # A call started through one node and ended through the other.
        status, _, start = a.request("POST", "/v1/calls/start", {
            "call_id": "n1", "identity_hints": {"ani": ANI}, "telco": {"line_type": "mobile"}}, key=k)
        assert status == 200
        status, _, end = b.request("POST", "/v1/calls/end", {
            "call_id": "n1", "intent": "refund_request", "variables": {"name": "Ann"}}, key=k)
        assert status == 200 and end["customer_ref"] == start["customer_ref"]
        status, _, again = a.request("POST", "/v1/calls/start", {
            "call_id": "n2", "identity_hints": {"ani": ANI}, "telco": {"line_type": "mobile"}}, key=k)
        assert again["customer_ref"] == start["customer_ref"]
        assert again["variables"]["name"]["value"] == "Ann"
        # The same retry through either node answers the same bytes.
        body = {"call_id": "n2", "identity_hints": {"ani": ANI}, "telco": {"line_type": "mobile"}}
        assert b.request("POST", "/v1/calls/start", body, key=k)[2] == again

        # Two nodes racing first calls from one new number make one customer.
        refs = []
        lock = threading.Lock()

        def first_call(node, i):
            status, _, r = node.request("POST", "/v1/calls/start", {
                "call_id": f"race_{i}", "identity_hints": {"ani": "+14155550199"},
                "telco": {"line_type": "mobile"}}, key=k)
            assert status == 200, r
            with lock:
                refs.append(r["customer_ref"])

        threads = [threading.Thread(target=first_call, args=(a if i % 2 else b, i)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(refs) == 16 and len(set(refs)) == 1

        # A key revoked once is refused by every node at once.
        run_cli("keys", "revoke", *pg_store, key["key_id"])
        for node in (a, b):
            assert node.request("GET", "/v1/settings", key=k)[0] == 401
    finally:
        a.stop()
        b.stop()


def test_two_nodes_ending_one_customers_calls_at_once_lose_nothing(pg_store, tmp_path):
    a = Server(pg_store, tmp_path / "a.log")
    b = Server(pg_store, tmp_path / "b.log")
    try:
        k = create_key(pg_store, "acme")["key"]
        ani = "+14155550177"
        calls = [f"e_{i}" for i in range(12)]
        refs = set()
        for call in calls:
            status, _, r = a.request("POST", "/v1/calls/start", {
                "call_id": call, "identity_hints": {"ani": ani}, "telco": {"line_type": "mobile"}}, key=k)
            assert status == 200, r
            refs.add(r["customer_ref"])
        assert len(refs) == 1

        failures = []

        def end(node, i):
            status, _, r = node.request("POST", "/v1/calls/end", {
                "call_id": calls[i], "intent": "refund_request", "variables": {f"v{i}": i}}, key=k)
            if status != 200:
                failures.append(r)

        threads = [threading.Thread(target=end, args=(a if i % 2 else b, i)) for i in range(len(calls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        status, _, again = b.request("POST", "/v1/calls/start", {
            "call_id": "e_last", "identity_hints": {"ani": ani}, "telco": {"line_type": "mobile"}}, key=k)
        assert status == 200
        assert sorted(again["variables"]) == sorted(f"v{i}" for i in range(len(calls)))
        assert again["open_intents"][0]["attempt_count"] == len(calls)
    finally:
        a.stop()
        b.stop()
