"""`callmem serve` through real HTTP clients: curl, and Python's urllib."""

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import Server, create_key, run_cli

ANI = "+14155551234"


def curl(*args):
    p = subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_the_hosted_quick_start_curl_command(server, key):
    # The hosted product's quick start, unchanged but for the base URL and the key.
    start = json.loads(curl(
        "-X", "POST", f"{server.base}/v1/calls/start",
        "-H", f"Authorization: Bearer {key}",
        "-H", "Content-Type: application/json",
        "-d", '{"call_id": "call_001", "identity_hints": {"ani": "+14155551234"}}'))
    assert start["call_id"] == "call_001"
    assert start["identity"] == {"confidence": 0, "level": "low", "sources": [], "recommendation": "ignore"}
    assert start["open_intents"] == [] and start["variables"] == {}
    ref = start["customer_ref"]

    end = json.loads(curl(
        "-X", "POST", f"{server.base}/v1/calls/end",
        "-H", f"Authorization: Bearer {key}",
        "-H", "Content-Type: application/json",
        "-d", '{"call_id": "call_001", "intent": "refund_request", "intent_status": "open", '
              '"variables": {"name": "John Doe", "order_id": "12345"}}'))
    assert end["customer_ref"] == ref and end["intents_updated"] == 1 and end["variables_updated"] == 2

    again = json.loads(curl(
        "-X", "POST", f"{server.base}/v1/calls/start",
        "-H", f"Authorization: Bearer {key}",
        "-H", "Content-Type: application/json",
        "-d", '{"call_id": "call_002", "identity_hints": {"ani": "+14155551234"}, "telco": {"line_type": "mobile"}}'))
    assert again["customer_ref"] == ref
    assert again["identity"]["recommendation"] == "reuse"
    assert [i["intent"] for i in again["open_intents"]] == ["refund_request"]
    assert again["variables"]["name"]["value"] == "John Doe"


class CallMemoryClient:
    """A client as the hosted product's documentation writes its Python wrapper: urllib only."""

    def __init__(self, api_key, base_url):
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")

    def _post(self, path, payload):
        req = urllib.request.Request(
            f"{self.base_url}{path}", data=json.dumps(payload).encode("utf-8"), method="POST",
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def start_call(self, call_id, ani, **extra):
        return self._post("/v1/calls/start", {"call_id": call_id, "identity_hints": {"ani": ani}, **extra})

    def end_call(self, call_id, intent=None, intent_status="open", variables=None):
        payload = {"call_id": call_id}
        if intent:
            payload.update(intent=intent, intent_status=intent_status)
        if variables:
            payload["variables"] = variables
        return self._post("/v1/calls/end", payload)


def test_a_python_urllib_client(server, key):
    client = CallMemoryClient(key, server.base)
    first = client.start_call("py_1", ANI, telco={"line_type": "mobile"})
    client.end_call("py_1", intent="billing_question", variables={"plan": "gold", "balance": 12.5})
    second = client.start_call("py_2", ANI, telco={"line_type": "mobile"})
    assert second["customer_ref"] == first["customer_ref"]
    assert second["identity"]["recommendation"] == "reuse"
    assert second["open_intents"][0]["intent"] == "billing_question"
    assert second["variables"]["balance"]["value"] == 12.5


def test_a_node_fetch_client(server, key, tmp_path):
    node = shutil.which("node")
    assert node, "node is required"
    script = tmp_path / "client.mjs"
    script.write_text("""
const [base, key] = process.argv.slice(2);
async function post(path, body) {
  const r = await fetch(base + path, { method: 'POST', body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}
const a = await post('/v1/calls/start', { call_id: 'js_1', identity_hints: { ani: '+14155550000' }, telco: { line_type: 'mobile' } });
await post('/v1/calls/end', { call_id: 'js_1', intent: 'order_status', variables: { order: 'A-1' } });
const b = await post('/v1/calls/start', { call_id: 'js_2', identity_hints: { ani: '+14155550000' }, telco: { line_type: 'mobile' } });
console.log(JSON.stringify({ same: a.customer_ref === b.customer_ref, rec: b.identity.recommendation,
  intent: b.open_intents[0].intent, order: b.variables.order.value }));
""")
    out = subprocess.run([node, str(script), server.base, key], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"same": True, "rec": "reuse", "intent": "order_status", "order": "A-1"}


def test_customer_routes_settings_and_usage(server, key):
    _, _, start = server.request("POST", "/v1/calls/start", {"call_id": "c1", "identity_hints": {
        "ani": ANI, "external_ids": {"crm_id": "CRM-1"}}, "telco": {"line_type": "mobile"}}, key=key)
    ref = start["customer_ref"]
    server.request("POST", "/v1/calls/end", {"call_id": "c1", "variables": {"name": "Ann"}}, key=key)

    status, _, view = server.request("GET", f"/v1/customers/{ref}?history_limit=1", key=key)
    assert status == 200 and view["customer_ref"] == ref and len(view["calls"]) == 1
    status, _, looked = server.request("POST", "/v1/customers/lookup", {"identity_hints": {"ani": ANI}}, key=key)
    assert status == 200 and looked["customer_ref"] == ref
    status, _, exported = server.request("GET", f"/v1/customers/{ref}/export", key=key)
    assert status == 200 and exported["variables"]["name"]["value"] == "Ann"

    status, _, bad = server.request("GET", f"/v1/customers/{ref}?history_limit=abc", key=key)
    assert status == 400 and bad["details"]["issues"][0]["path"] == ["history_limit"]

    status, _, settings = server.request("GET", "/v1/settings", key=key)
    assert status == 200 and settings["ttl_days"] == 30
    status, _, patched = server.request("PATCH", "/v1/settings", {"ttl_days": 45}, key=key)
    assert status == 200 and patched["ttl_days"] == 45
    assert server.request("GET", "/v1/settings", key=key)[2]["ttl_days"] == 45

    status, _, usage = server.request("GET", "/v1/usage", key=key)
    assert status == 200 and usage["balance"] == 0 and usage["days"]

    # Erasure by phone number, then by ref: the receipt, then 404.
    status, _, receipt = server.request("POST", "/v1/customers/forget", {"identity_hints": {"ani": ANI}}, key=key)
    assert status == 200 and receipt["customer_ref"] == ref and receipt["removed"]["calls"] == 1
    status, _, gone = server.request("DELETE", f"/v1/customers/{ref}", key=key)
    assert status == 404 and gone["error"] == "Not Found"


def test_feedback_and_unmerge(server, key):
    a = server.request("POST", "/v1/calls/start", {"call_id": "f1", "identity_hints": {"ani": ANI}}, key=key)[2]
    b = server.request("POST", "/v1/calls/start", {"call_id": "f2", "identity_hints": {"ani": "+14155559999"}},
                       key=key)[2]
    status, _, fb = server.request("POST", "/v1/identity/feedback", {
        "call_id": "f2", "outcome": "corrected", "customer_ref": a["customer_ref"]}, key=key)
    assert status == 200 and fb["merge"]["alias"] == b["customer_ref"]
    status, _, un = server.request("POST", "/v1/identity/unmerge", {"merge_id": fb["merge"]["merge_id"]}, key=key)
    assert status == 200 and un["restored_customer_ref"] == b["customer_ref"]


def customers_of(server, key, ani):
    status, _, body = server.request("POST", "/v1/customers/lookup", {"identity_hints": {"ani": ani}}, key=key)
    return status


def test_authentication_errors_write_nothing(server, key):
    body = {"call_id": "auth_1", "identity_hints": {"ani": "+14155557777"}}
    cases = [
        ({}, "missing"),
        ({"Authorization": f"Token {key}"}, "malformed"),
        ({"Authorization": "Bearer"}, "malformed"),
        ({"Authorization": "Bearer cmk_notakey"}, "invalid"),
    ]
    for headers, word in cases:
        status, _, err = server.request("POST", "/v1/calls/start", body, headers=headers)
        assert status == 401, (headers, err)
        assert err["error"] == "Unauthorized" and word in err["message"]
    assert customers_of(server, key, "+14155557777") == 404


def test_a_revoked_key_stops_at_once(server, sqlite_store):
    made = create_key(sqlite_store, "acme", "to revoke")
    body = {"call_id": "rv_1", "identity_hints": {"ani": ANI}}
    assert server.request("POST", "/v1/calls/start", body, key=made["key"])[0] == 200
    out = run_cli("keys", "revoke", *sqlite_store, made["key_id"])
    assert made["key_id"] in out.stdout
    status, _, err = server.request("POST", "/v1/calls/start", dict(body, call_id="rv_2"), key=made["key"])
    assert status == 401 and "revoked" in err["message"]
    listed = json.loads(run_cli("keys", "list", *sqlite_store, "--tenant", "acme", "--json").stdout)
    assert [k["revoked_at"] is not None for k in listed if k["key_id"] == made["key_id"]] == [True]
    assert all("hash" not in json.dumps(k) and made["key"] not in json.dumps(k) for k in listed)


def test_keys_belong_to_one_tenant(server, sqlite_store):
    acme = create_key(sqlite_store, "acme")["key"]
    globex = create_key(sqlite_store, "globex")["key"]
    a = server.request("POST", "/v1/calls/start", {"call_id": "t1", "identity_hints": {"ani": ANI}}, key=acme)[2]
    # A tenant field in the body changes nothing: the key's tenant is the request's.
    g = server.request("POST", "/v1/calls/start",
                       {"call_id": "t1", "tenant": "acme", "identity_hints": {"ani": ANI}}, key=globex)[2]
    assert a["customer_ref"] != g["customer_ref"]
    assert server.request("GET", f"/v1/customers/{a['customer_ref']}", key=globex)[0] == 404


def test_request_errors(server, key):
    body = json.dumps({"call_id": "e1", "identity_hints": {"ani": "+14155556666"}}).encode()
    status, _, err = server.request("POST", "/v1/calls/start", raw=body, key=key,
                                    headers={"Content-Type": "text/plain"})
    assert status == 415 and err["error"] == "Unsupported Media Type"
    big = json.dumps({"call_id": "e2", "identity_hints": {"ani": ANI}, "pad": "x" * (1 << 20)}).encode()
    status, _, err = server.request("POST", "/v1/calls/start", raw=big, key=key,
                                    headers={"Content-Type": "application/json"})
    assert status == 413 and err["error"] == "Payload Too Large"
    status, _, err = server.request("GET", "/v1/nothing", key=key)
    assert status == 404 and err["error"] == "Not Found"
    status, headers, err = server.request("GET", "/v1/calls/start", key=key)
    assert status == 405 and headers["Allow"] == "POST" and err["error"] == "Method Not Allowed"
    status, _, err = server.request("POST", "/v1/calls/start", {"identity_hints": {"ani": ANI}}, key=key)
    assert status == 400 and err["details"]["issues"][0]["path"] == ["call_id"]
    status, _, err = server.request("POST", "/v1/calls/start", raw=b"{not json", key=key,
                                    headers={"Content-Type": "application/json"})
    assert status == 400 and err["error"] == "Bad Request"
    # None of them wrote anything.
    assert customers_of(server, key, "+14155556666") == 404
    assert customers_of(server, key, ANI) == 404
    # A replay with another request is 409.
    assert server.request("POST", "/v1/calls/start", {"call_id": "e3", "identity_hints": {"ani": ANI}}, key=key)[0] == 200
    status, _, err = server.request("POST", "/v1/calls/start", {"call_id": "e3", "identity_hints": {"ani": "+14155550001"}},
                                    key=key)
    assert status == 409 and err["error"] == "Conflict"


def test_rate_limit_per_tenant(server, sqlite_store, tmp_path):
    limited = create_key(sqlite_store, "limited")["key"]
    other = create_key(sqlite_store, "other")["key"]
    status, _, s = server.request("PATCH", "/v1/settings", {"rate_limit": {"requests_per_minute": 5}}, key=limited)
    assert status == 200 and s["rate_limit"]["requests_per_minute"] == 5
    # Counting starts with the limit: the PATCH itself was not limited.
    statuses = [server.request("GET", "/v1/settings", key=limited)[0] for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    status, headers, err = server.request("GET", "/v1/usage", key=limited)
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60 and err["error"] == "Too Many Requests"
    status, _, _ = server.request("POST", "/v1/calls/start", {"call_id": "rl_1", "identity_hints": {"ani": ANI}},
                                  key=limited)
    assert status == 429
    # Each process keeps its own count (docs/server.md): a second one shows the refused start wrote nothing.
    second = Server(sqlite_store, tmp_path / "second.log")
    try:
        assert customers_of(second, limited, ANI) == 404
    finally:
        second.stop()
    # Another tenant on the same server is not slowed.
    t0 = time.monotonic()
    assert [server.request("GET", "/v1/settings", key=other)[0] for _ in range(20)] == [200] * 20
    assert time.monotonic() - t0 < 10


def test_request_ids_logs_and_metrics(server, key):
    status, headers, _ = server.request("GET", "/v1/settings", key=key, headers={"X-Request-Id": "abc-123"})
    assert status == 200 and headers["X-Request-Id"] == "abc-123"
    status, headers, _ = server.request("GET", "/v1/settings", key=key)
    assert len(headers["X-Request-Id"]) >= 8
    server.request("POST", "/v1/calls/start", {"call_id": "m1", "identity_hints": {
        "ani": ANI, "external_ids": {"crm_id": "SECRET-CRM"}}}, key=key)
    server.request("POST", "/v1/calls/end", {"call_id": "m1", "variables": {"secret": "VAR-VALUE"}}, key=key)
    # A request is counted and logged once its answer is written (httplib's
    # logger runs after the write): the client may see the answer first.
    wanted = ['callmem_http_requests_total{route="/v1/calls/start",status="200"} 1',
              'callmem_http_requests_total{route="/v1/calls/end",status="200"} 1',
              'callmem_recommendations_total{recommendation="ignore"} 1',
              'callmem_http_request_duration_seconds_bucket{route="/v1/calls/start",le="+Inf"} 1']
    deadline = time.monotonic() + 5
    while True:
        status, _, metrics = server.request("GET", "/metrics")
        assert status == 200
        if all(w in metrics for w in wanted) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    for w in wanted:
        assert w in metrics
    assert server.request("GET", "/healthz")[0] == 200
    assert server.request("GET", "/readyz")[0] == 200
    log = server.access_log()
    lines = [json.loads(l) for l in log.splitlines() if l.startswith("{")]
    assert any(l["request_id"] == "abc-123" and l["route"] == "/v1/settings" and l["tenant"] == "acme"
               and l["status"] == 200 and l["us"] >= 0 for l in lines)
    for secret in ("4155551234", "SECRET-CRM", "VAR-VALUE", key):
        assert secret not in log


def test_openapi_describes_every_route(server):
    status, _, doc = server.request("GET", "/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.1")
    for path, method in [("/v1/calls/start", "post"), ("/v1/calls/end", "post"), ("/v1/customers/{ref}", "get"),
                         ("/v1/customers/{ref}", "delete"), ("/v1/customers/lookup", "post"),
                         ("/v1/customers/{ref}/export", "get"), ("/v1/customers/forget", "post"),
                         ("/v1/identity/feedback", "post"), ("/v1/identity/unmerge", "post"), ("/v1/usage", "get"),
                         ("/v1/settings", "get"), ("/v1/settings", "patch")]:
        assert method in doc["paths"][path], (path, method)
        ref = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.split("/")[-1] in doc["components"]["schemas"]
    assert doc["components"]["schemas"]["call-start-request"]["$id"].endswith("call-start-request.json")


def test_sigterm_during_a_burst_loses_no_acknowledged_request(sqlite_store, tmp_path):
    server = Server(sqlite_store, tmp_path / "burst.log")
    key = create_key(sqlite_store, "acme")["key"]
    acknowledged = []
    lock = threading.Lock()

    def ani(n, i):
        return f"+1415{500 + n}{i:04d}"

    def caller(n):
        for i in range(200):
            call_id = f"burst_{n}_{i}"
            try:
                status, _, _ = server.request("POST", "/v1/calls/start", {
                    "call_id": call_id, "identity_hints": {"ani": ani(n, i)}}, key=key)
            except Exception:
                return
            if status == 200:
                with lock:
                    acknowledged.append((call_id, ani(n, i)))

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    assert server.stop() == 0
    for t in threads:
        t.join()
    assert acknowledged, "no request was answered before SIGTERM"
    # Every acknowledged start is in the store: its caller's customer has the call.
    again = Server(sqlite_store, tmp_path / "after.log")
    try:
        for call_id, number in acknowledged:
            status, _, view = again.request("POST", "/v1/customers/lookup", {"identity_hints": {"ani": number}}, key=key)
            assert status == 200, (call_id, view)
            assert call_id in [c["call_id"] for c in view["calls"]]
    finally:
        again.stop()


def test_https_with_a_certificate(sqlite_store, tmp_path):
    cert, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                           "-subj", "/CN=127.0.0.1", "-keyout", str(key_file), "-out", str(cert)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    server = Server(sqlite_store, tmp_path / "tls.log", extra=("--tls-cert", str(cert), "--tls-key", str(key_file)))
    try:
        assert "listening on https://" in server.access_log()
        key = create_key(sqlite_store, "acme")["key"]
        out = json.loads(curl("--cacert", str(cert), "-X", "POST", f"https://127.0.0.1:{server.port}/v1/calls/start",
                              "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json",
                              "-d", '{"call_id": "tls_1", "identity_hints": {"ani": "+14155551234"}}'))
        assert out["call_id"] == "tls_1"
        # Plain HTTP to the TLS port gets no answer.
        plain = subprocess.run(["curl", "-sS", "--max-time", "5", f"http://127.0.0.1:{server.port}/healthz"],
                               capture_output=True, text=True)
        assert plain.returncode != 0 or "ok" not in plain.stdout
    finally:
        server.stop()


def test_the_command_line_explains_itself_and_refuses_bad_input(sqlite_store):
    top = run_cli("--help")
    assert "serve" in top.stdout and "keys" in top.stdout and "CALLMEM_DB" in top.stdout
    serve = run_cli("serve", "--help")
    assert "--listen" in serve.stdout and "--tls-cert" in serve.stdout and "Example" in serve.stdout
    assert run_cli("--version").stdout.strip() == "0.1.0"
    missing = run_cli("keys", "create", "--tenant", "acme", check=False, env={"PATH": os.environ.get("PATH", "")})
    assert missing.returncode == 2 and "--db" in missing.stderr
    bad = run_cli("keys", "create", *sqlite_store, "--tenant", "bad tenant!", check=False)
    assert bad.returncode == 1 and "tenant" in bad.stderr
    unknown = run_cli("keys", "revoke", *sqlite_store, "key_0000000000000000", check=False)
    assert unknown.returncode == 1 and "key_0000000000000000" in unknown.stderr
    assert run_cli("serve", *sqlite_store, "--listen", "nowhere", check=False).returncode == 2


def test_answers_match_the_schemas_openapi_json_serves(server, key):
    from jsonschema import Draft202012Validator, RefResolver

    doc = server.request("GET", "/openapi.json")[2]
    components = doc["components"]["schemas"]
    store = {s["$id"]: s for s in components.values()}
    for s in components.values():
        Draft202012Validator.check_schema(s)

    def check(path, method, status, body, request=None):
        op = doc["paths"][path][method]
        if request is not None:
            name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
            Draft202012Validator(components[name], resolver=RefResolver.from_schema(components[name], store=store)).validate(request)
        name = op["responses"][str(status)]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        schema = components[name]
        Draft202012Validator(schema, resolver=RefResolver.from_schema(schema, store=store)).validate(body)

    start = {"call_id": "s1", "identity_hints": {"ani": ANI, "external_ids": {"crm_id": "C-9"}},
             "telco": {"line_type": "mobile"}}
    status, _, body = server.request("POST", "/v1/calls/start", start, key=key)
    check("/v1/calls/start", "post", status, body, start)
    ref = body["customer_ref"]
    end = {"call_id": "s1", "intent": "refund_request", "variables": {"name": "Ann", "n": [1, 2.5]}}
    status, _, body = server.request("POST", "/v1/calls/end", end, key=key)
    check("/v1/calls/end", "post", status, body, end)
    again = dict(start, call_id="s2")
    status, _, body = server.request("POST", "/v1/calls/start", again, key=key)
    assert body["identity"]["recommendation"] == "reuse"
    check("/v1/calls/start", "post", status, body, again)
    for path, route, method in [(f"/v1/customers/{ref}", "/v1/customers/{ref}", "get"),
                                (f"/v1/customers/{ref}/export", "/v1/customers/{ref}/export", "get"),
                                ("/v1/usage", "/v1/usage", "get"), ("/v1/settings", "/v1/settings", "get")]:
        status, _, body = server.request("GET", path, key=key)
        check(route, method, status, body)
    patch = {"ttl_days": 40}
    status, _, body = server.request("PATCH", "/v1/settings", patch, key=key)
    check("/v1/settings", "patch", status, body, patch)
    status, _, body = server.request("POST", "/v1/calls/start", {"identity_hints": {"ani": ANI}}, key=key)
    check("/v1/calls/start", "post", status, body)
    status, _, body = server.request("GET", "/v1/settings")
    check("/v1/settings", "get", status, body)
    status, _, body = server.request("DELETE", f"/v1/customers/{ref}", key=key)
    check("/v1/customers/{ref}", "delete", status, body)
