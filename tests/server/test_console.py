"""The web console's endpoints (/console/api/..., docs/console.md) over HTTP:
sessions and their cookie, CSRF, tenants kept apart, bounded periods, no key
or number in a URL or a log line. scripts/test-console drives the pages in Chromium."""

import json
import re
import urllib.parse
from datetime import datetime, timedelta, timezone

from conftest import Server, create_key


def form(fields):
    return urllib.parse.urlencode(fields).encode()


def sign_in(server, key):
    """Answers (status, headers, body) of a sign-in, and the Cookie header to send after it."""
    status, headers, body = server.request("POST", "/console/api/session", raw=form({"key": key}),
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    cookie = headers.get("Set-Cookie", "")
    return status, headers, body, cookie.split(";")[0]


def change(server, method, path, cookie, token, fields=None, extra=None):
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    if token is not None:
        headers["X-CSRF-Token"] = token
    headers.update(extra or {})
    return server.request(method, path, raw=form(fields or {}), headers=headers)


def test_sign_in_sets_an_httponly_samesite_strict_cookie(server, key):
    status, headers, body, cookie = sign_in(server, key)
    assert status == 200, body
    assert body["tenant"] == "acme" and re.fullmatch(r"[0-9a-f]{64}", body["csrf_token"])
    flags = [f.strip() for f in headers["Set-Cookie"].split(";")]
    assert re.fullmatch(r"callmem_console=[0-9a-f]{64}", flags[0])
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/console" in flags
    assert "Secure" not in flags  # plain HTTP; over TLS the cookie is Secure
    assert key not in headers["Set-Cookie"]
    status, _, s = server.request("GET", "/console/api/session", headers={"Cookie": cookie})
    assert status == 200 and s["csrf_token"] == body["csrf_token"] and s["key_id"] == body["key_id"]


def test_refused_without_a_key_or_a_session(server, key):
    assert sign_in(server, "cmk_nope")[0] == 401
    assert sign_in(server, "")[0] == 400
    for path in ["/console/api/session", "/console/api/overview", "/console/api/identity", "/console/api/keys"]:
        status, _, body = server.request("GET", path)
        assert status == 401, path
        status, _, body = server.request("GET", path, headers={"Cookie": "callmem_console=" + "0" * 64})
        assert status == 401, path
    # An API key is not a session: the console takes only its cookie.
    assert server.request("GET", "/console/api/keys", key=key)[0] == 401


def test_every_change_needs_the_csrf_token(server, key):
    _, _, s, cookie = sign_in(server, key)
    for method, path in [("POST", "/console/api/keys"), ("POST", "/console/api/customers/forget"),
                         ("POST", "/console/api/customers/lookup"), ("DELETE", "/console/api/keys/key_0"),
                         ("DELETE", "/console/api/session")]:
        assert change(server, method, path, cookie, None)[0] == 403, path
        assert change(server, method, path, cookie, "0" * 64)[0] == 403, path
    # From another origin, even with the token.
    status, _, body = change(server, "POST", "/console/api/keys", cookie, s["csrf_token"], {"name": "x"},
                             {"Origin": "https://evil.example"})
    assert status == 403 and "origin" in body["message"]
    status, _, made = change(server, "POST", "/console/api/keys", cookie, s["csrf_token"], {"name": "wallboard"})
    assert status == 200 and made["key"].startswith("cmk_")
    status, _, keys = server.request("GET", "/console/api/keys", headers={"Cookie": cookie})
    assert [k["name"] for k in keys["keys"]] == ["tests", "wallboard"]
    assert "cmk_" not in json.dumps(keys)


def test_a_change_never_takes_its_fields_from_the_url(server, key):
    status, _, body = server.request("POST", "/console/api/session?" + urllib.parse.urlencode({"key": key}),
                                     raw=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "URL" in body["message"]
    assert key not in server.access_log()


def test_keys_and_customers_stay_within_the_tenant(sqlite_store, tmp_path):
    acme = create_key(sqlite_store, "acme", "ivr")
    globex = create_key(sqlite_store, "globex", "agent")
    server = Server(sqlite_store, tmp_path / "server.log")
    try:
        status, _, _ = server.request("POST", "/v1/calls/start", {"call_id": "g1", "identity_hints": {"ani": "+14155550100"}},
                                      key=globex["key"])
        assert status == 200
        _, _, s, cookie = sign_in(server, acme["key"])
        status, _, _ = change(server, "DELETE", f"/console/api/keys/{globex['key_id']}", cookie, s["csrf_token"])
        assert status == 404
        assert server.request("GET", "/v1/settings", key=globex["key"])[0] == 200
        status, _, _ = change(server, "POST", "/console/api/customers/lookup", cookie, s["csrf_token"],
                              {"by": "number", "value": "+14155550100"})
        assert status == 404
        # Revoking the session's own key ends the session.
        status, _, _ = change(server, "DELETE", f"/console/api/keys/{acme['key_id']}", cookie, s["csrf_token"])
        assert status == 200
        status, _, body = server.request("GET", "/console/api/keys", headers={"Cookie": cookie})
        assert status == 401 and "revoked" in body["message"]
    finally:
        server.stop()


def test_lookup_and_erase_a_customer(server, key):
    assert server.request("POST", "/v1/calls/start", {"call_id": "c1", "identity_hints": {"ani": "+14155551234"}},
                          key=key)[0] == 200
    assert server.request("POST", "/v1/calls/end", {"call_id": "c1", "intent": "refund_request",
                                                    "external_ids": {"crm_id": "A-7"}}, key=key)[0] == 200
    _, _, s, cookie = sign_in(server, key)
    status, _, c = change(server, "POST", "/console/api/customers/lookup", cookie, s["csrf_token"],
                          {"by": "external_id", "id_key": "crm_id", "value": "A-7"})
    assert status == 200 and c["intents"][0]["intent"] == "refund_request"
    status, _, r = change(server, "POST", "/console/api/customers/forget", cookie, s["csrf_token"],
                          {"customer_ref": c["customer_ref"]})
    assert status == 200 and r["customer_ref"] == c["customer_ref"] and r["removed"]["calls"] == 1
    status, _, _ = change(server, "POST", "/console/api/customers/lookup", cookie, s["csrf_token"],
                          {"by": "number", "value": "+14155551234"})
    assert status == 404
    log = server.access_log()
    assert "+1415555" not in log and "A-7" not in log and key not in log
    assert '"route":"/console/api/customers/lookup"' in log and '"tenant":"acme"' in log


def test_overview_and_identity_count_the_period(server, key):
    for i in range(3):
        server.request("POST", "/v1/calls/start", {"call_id": f"c{i}", "identity_hints": {"ani": "+14155551234"}},
                       key=key)
        server.request("POST", "/v1/calls/end", {"call_id": f"c{i}"}, key=key)
    assert server.request("POST", "/v1/identity/feedback", {"call_id": "c2", "outcome": "confirmed"}, key=key)[0] == 200
    _, _, _, cookie = sign_in(server, key)
    today = datetime.now(timezone.utc).date()
    status, _, o = server.request("GET", f"/console/api/overview?from={today - timedelta(days=6)}&to={today}",
                                  headers={"Cookie": cookie})
    assert status == 200 and len(o["days"]) == 7
    assert o["totals"]["starts"] == 3 and o["totals"]["ends"] == 3 and o["days"][-1]["starts"] == 3
    assert o["totals"]["ignore"] + o["totals"]["confirm"] + o["totals"]["reuse"] == 3
    assert o["server"]["start"]["requests"] == 3 and o["server"]["start"]["p99_ms"] > 0
    status, _, q = server.request("GET", "/console/api/identity", headers={"Cookie": cookie})
    assert status == 200 and q["samples"] == 1 and q["feedback"]["confirmed"] == 1
    assert sum(b["count"] for b in q["bins"]) == 1 and not q["drift"]["warning"]
    # Bounded: at most 90 days, real days, from before to.
    for query in [f"from={today - timedelta(days=90)}&to={today}", "from=2026-02-30", "from=yesterday",
                  f"from={today}&to={today - timedelta(days=1)}", "threshold=2"]:
        path = "/console/api/identity?" + query
        assert server.request("GET", path, headers={"Cookie": cookie})[0] == 400, query


def test_sign_out_ends_the_session(server, key):
    _, _, s, cookie = sign_in(server, key)
    status, headers, _ = change(server, "DELETE", "/console/api/session", cookie, s["csrf_token"])
    assert status == 200 and "Max-Age=0" in headers["Set-Cookie"]
    assert server.request("GET", "/console/api/session", headers={"Cookie": cookie})[0] == 401


def test_pages_are_served_with_a_content_security_policy(sqlite_store, tmp_path):
    pages = tmp_path / "console"
    pages.mkdir()
    (pages / "index.html").write_text("<!doctype html><title>console</title>")
    server = Server(sqlite_store, tmp_path / "server.log", extra=["--console-dir", str(pages)])
    try:
        status, headers, body = server.request("GET", "/console/")
        assert status == 200 and "<title>console</title>" in body
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert server.request("GET", "/console/../secret")[0] == 404
        assert server.request("GET", "/console/missing.js")[0] == 404
    finally:
        server.stop()


def test_without_a_built_console_the_pages_say_so(sqlite_store, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    server = Server(sqlite_store, tmp_path / "server.log", extra=["--console-dir", str(empty)])
    try:
        status, _, body = server.request("GET", "/console/")
        assert status == 404 and "not built" in body["message"]
    finally:
        server.stop()


def test_openapi_describes_the_console(server):
    doc = server.request("GET", "/openapi.json")[2]
    for path, method in [("/console/api/session", "post"), ("/console/api/overview", "get"),
                         ("/console/api/identity", "get"), ("/console/api/customers/lookup", "post"),
                         ("/console/api/customers/forget", "post"), ("/console/api/keys", "post"),
                         ("/console/api/keys/{key_id}", "delete")]:
        assert method in doc["paths"][path], (path, method)
    assert doc["components"]["securitySchemes"]["consoleSession"]["in"] == "cookie"
    body = doc["paths"]["/console/api/session"]["post"]["requestBody"]["content"]
    assert "key" in body["application/x-www-form-urlencoded"]["schema"]["properties"]


def test_an_admin_key_switches_tenants_in_the_console_only(sqlite_store, tmp_path):
    from conftest import run_cli
    acme = create_key(sqlite_store, "acme", "ivr")
    create_key(sqlite_store, "globex", "agent")
    admin = json.loads(run_cli("keys", "create", *sqlite_store, "--admin", "--name", "ops", "--json").stdout)
    assert admin["key"].startswith("cmk_")
    assert run_cli("keys", "create", *sqlite_store, "--json", check=False).returncode == 2  # neither --tenant nor --admin
    listed = json.loads(run_cli("keys", "list", *sqlite_store, "--admin", "--json").stdout)
    assert [k["key_id"] for k in listed] == [admin["key_id"]]
    server = Server(sqlite_store, tmp_path / "server.log")
    try:
        status, _, body = server.request("GET", "/v1/settings", key=admin["key"])
        assert status == 401 and "admin key" in body["message"]
        status, _, s, cookie = sign_in(server, admin["key"])
        assert status == 200 and s["admin"] and s["tenant"] == ""
        assert server.request("GET", "/console/api/keys", headers={"Cookie": cookie})[0] == 400  # no tenant chosen
        status, _, t = server.request("GET", "/console/api/tenants", headers={"Cookie": cookie})
        assert status == 200 and [x["tenant"] for x in t["tenants"]] == ["acme", "globex"]
        status, _, switched = change(server, "POST", "/console/api/tenant", cookie, s["csrf_token"], {"tenant": "globex"})
        assert status == 200 and switched["tenant"] == "globex"
        status, _, keys = server.request("GET", "/console/api/keys", headers={"Cookie": cookie})
        assert status == 200 and [k["name"] for k in keys["keys"]] == ["agent"]
        assert change(server, "POST", "/console/api/tenant", cookie, s["csrf_token"], {"tenant": "no such/tenant"})[0] == 400
        # A tenant's key does not switch.
        _, _, s2, cookie2 = sign_in(server, acme["key"])
        assert server.request("GET", "/console/api/tenants", headers={"Cookie": cookie2})[0] == 403
        assert change(server, "POST", "/console/api/tenant", cookie2, s2["csrf_token"], {"tenant": "globex"})[0] == 403
    finally:
        server.stop()


def test_the_console_on_postgresql(pg_store, tmp_path):
    key = create_key(pg_store, "acme", "ivr")["key"]
    server = Server(pg_store, tmp_path / "server.log")
    try:
        for i in range(2):
            server.request("POST", "/v1/calls/start", {"call_id": f"c{i}", "identity_hints": {"ani": "+14155551234"}},
                           key=key)
        assert server.request("POST", "/v1/identity/feedback", {"call_id": "c1", "outcome": "rejected"},
                              key=key)[0] == 200
        _, _, _, cookie = sign_in(server, key)
        status, _, o = server.request("GET", "/console/api/overview", headers={"Cookie": cookie})
        assert status == 200 and o["totals"]["starts"] == 2 and o["totals"]["ends"] == 0
        status, _, q = server.request("GET", "/console/api/identity", headers={"Cookie": cookie})
        assert status == 200 and q["samples"] == 1 and q["feedback"]["rejected"] == 1
        assert sum(b["count"] for b in q["bins"]) == 1 and sum(b["confirmed"] for b in q["bins"]) == 0
    finally:
        server.stop()
