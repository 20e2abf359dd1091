"""callmem for Kamailio: KEMI routing in Python that remembers callers.

A stateful proxy between the carrier and the agents (kamailio.cfg loads it
with app_python3, `cfgengine "python"`):

- INVITE from the caller's side: the X-Callmem-* headers it carries are
  removed (a caller never speaks for callmem), callmem's call start runs with
  the caller's number (P-Asserted-Identity, else From; `Privacy: id` and
  withheld forms such as anonymous@anonymous.invalid are a withheld number,
  which never identifies anyone), the dialled number (the Request-URI's
  user) and STIR/SHAKEN's verstat (the URI parameter) and attestation (the
  Identity header's PASSporT) when the carrier gives them; the answer goes to
  the agent in headers:

      X-Callmem-Status           ok, or the error's class (the call goes on without memory)
      X-Callmem-Customer-Ref     the caller's stable reference
      X-Callmem-Confidence       0 to 1
      X-Callmem-Recommendation   reuse | confirm | ignore
      X-Callmem-Intent           the newest open intent (only when there is one)

- BYE from the agent's side: its disposition is the call's end, and its
  answer to "is this the caller we thought?" identity feedback:

      X-Callmem-Disposition      <intent>[;status=open|resolved|abandoned], or none
      X-Callmem-Identity         confirmed | rejected, or none

  A BYE from the caller's side ends the call without an intent, and its
  X-Callmem-* headers are ignored. Such headers never reach the caller.

Every worker process opens the database after Kamailio forks it; the library
is loaded and warmed (callmem.warm()) once in the main process, before the
fork, so the workers share it (docs/threading.md).

Environment: CALLMEM_DB (default /var/lib/kamailio/callmem.db),
CALLMEM_TENANT (default "kamailio"), CALLMEM_AGENT_URI (where calls go,
default sip:127.0.0.1:5090; requests from its host and port are the agent's
side). The callmem package must be importable by Kamailio's Python (pip
install ./bindings/python, or PYTHONPATH) and find libcallmem.so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from typing import Any, Dict, Optional, Tuple

import KSR  # Kamailio's KEMI module (app_python3)

import callmem

# The headers callmem writes and reads; any other X-Callmem-* too is removed
# from what a caller sends.
RESULT_HEADERS = ("X-Callmem-Status", "X-Callmem-Customer-Ref", "X-Callmem-Confidence",
                  "X-Callmem-Recommendation", "X-Callmem-Intent")
OUTCOMES = ("confirmed", "rejected")
STATUSES = ("open", "resolved", "abandoned")

_URI_USER = re.compile(r"(?:sips?|tel):([^@;>\s]*)", re.IGNORECASE)
_VERSTAT = re.compile(r"verstat=([A-Za-z-]+)", re.IGNORECASE)
_VERSTATS = {"tn-validation-passed": "TN-Validation-Passed", "tn-validation-failed": "TN-Validation-Failed",
             "no-tn-validation": "No-TN-Validation"}


def mod_init() -> "Router":
    # In Kamailio's main process, before it forks its workers: they share
    # the library and libphonenumber's set-up built here.
    callmem.warm()
    return Router()


def header(name: str) -> Optional[str]:
    value = KSR.hdr.get(name)
    return value if isinstance(value, str) and value.strip() else None


def uri_user(value: Optional[str]) -> Optional[str]:
    """The user part of the first SIP or tel URI in a header's value."""
    if not value:
        return None
    m = _URI_USER.search(value)
    return m.group(1) if m else None


def attestation(identity: Optional[str]) -> Optional[str]:
    """The "attest" claim (A, B or C) of an Identity header's PASSporT (RFC 8224, 8588)."""
    if not identity:
        return None
    parts = identity.strip().split(";")[0].split(".")
    if len(parts) < 2:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    attest = payload.get("attest") if isinstance(payload, dict) else None
    return attest if attest in ("A", "B", "C") else None


def caller() -> Tuple[str, Dict[str, str]]:
    """The ANI callmem is given ("" when withheld) and the call's STIR/SHAKEN telco fields."""
    pai, from_ = header("P-Asserted-Identity"), header("From")
    privacy = [p.strip().lower() for p in re.split(r"[;,]", header("Privacy") or "")]
    telco: Dict[str, str] = {}
    m = _VERSTAT.search(pai or "") or _VERSTAT.search(from_ or "")
    if m and m.group(1).lower() in _VERSTATS:
        telco["verstat"] = _VERSTATS[m.group(1).lower()]
    attest = attestation(header("Identity"))
    if attest:
        telco["attestation"] = attest
    if "id" in privacy:
        return "", telco  # the caller asked that their identity not be used
    ani = uri_user(pai) or uri_user(from_) or ""
    return ani, telco


def call_id() -> str:
    """The SIP Call-ID, or its digest when it is longer than callmem's 128 characters."""
    ci = KSR.pv.get("$ci") or ""
    return ci if len(ci) <= 128 else "sha256:" + hashlib.sha256(ci.encode()).hexdigest()


class Router:
    def __init__(self) -> None:
        self.db = os.environ.get("CALLMEM_DB", "/var/lib/kamailio/callmem.db")
        self.tenant = os.environ.get("CALLMEM_TENANT", "kamailio")
        self.agent_uri = os.environ.get("CALLMEM_AGENT_URI", "sip:127.0.0.1:5090")
        m = re.match(r"sips?:(?:[^@]*@)?([^:;>]+)(?::(\d+))?", self.agent_uri)
        self.agent = (m.group(1), int(m.group(2) or 5060)) if m else ("", 0)
        self.memory: Optional[callmem.CallMemory] = None
        self.pid = 0

    def child_init(self, rank: int) -> int:
        if rank > 0:  # a SIP worker (not the main process, its init pass or a timer)
            self.open()
        return 0

    def open(self) -> callmem.CallMemory:
        """This process's CallMemory, opened in it (after the fork)."""
        if self.memory is None or self.pid != os.getpid():
            self.memory = callmem.CallMemory(self.db)
            self.pid = os.getpid()
        return self.memory

    def from_agent(self) -> bool:
        return (KSR.pv.get("$si"), KSR.pv.get("$sp")) == self.agent

    # -- routing -----------------------------------------------------------------

    def ksr_request_route(self, msg: Any) -> int:
        if KSR.maxfwd.process_maxfwd(10) < 0:
            KSR.sl.sl_send_reply(483, "Too Many Hops")
            return 1
        if KSR.is_CANCEL():
            if KSR.tm.t_check_trans() > 0:
                self.relay()
            return 1
        if KSR.siputils.has_totag() > 0:
            self.in_dialog()
            return 1
        if KSR.tmx.t_precheck_trans() > 0:  # a retransmission
            KSR.tm.t_check_trans()
            return 1
        if KSR.tm.t_check_trans() == 0:
            return 1
        if not KSR.is_INVITE():
            KSR.sl.sl_send_reply(405, "Method Not Allowed")
            return 1
        KSR.hdr.remove("Route")
        KSR.rr.record_route()
        self.on_invite()
        KSR.setdsturi(self.agent_uri)
        self.relay()
        return 1

    def in_dialog(self) -> None:
        if KSR.rr.loose_route() > 0:
            if KSR.is_BYE():
                self.on_bye()
            self.relay()
        elif KSR.is_ACK():
            if KSR.tm.t_check_trans() > 0:
                self.relay()
        else:
            KSR.sl.sl_send_reply(404, "Not here")

    def ksr_reply_route(self, msg: Any) -> int:
        return 1  # replies go back as tm matched them

    def ksr_onsend_route(self, msg: Any) -> int:
        return 1

    def relay(self) -> None:
        if KSR.tm.t_relay() < 0:
            KSR.sl.sl_reply_error()

    # -- callmem -------------------------------------------------------------------

    def on_invite(self) -> None:
        KSR.textops.remove_hf_re("^X-Callmem-")  # a caller never speaks for callmem
        ani, telco = caller()
        hints: Dict[str, Any] = {"ani": ani}
        dnis = KSR.pv.get("$rU")
        if dnis:
            hints["dnis"] = dnis
        request: Dict[str, Any] = {"call_id": call_id(), "identity_hints": hints}
        if telco:
            request["telco"] = telco
        t0 = time.perf_counter()
        try:
            r = self.open().start_call(self.tenant, request)
        except callmem.CallmemError as e:
            KSR.err(f"callmem: start {request['call_id']}: {e}\n")
            KSR.hdr.append(f"X-Callmem-Status: {type(e).__name__}\r\n")
            return
        took = (time.perf_counter() - t0) * 1000
        identity = r["identity"]
        KSR.hdr.append("X-Callmem-Status: ok\r\n")
        KSR.hdr.append(f"X-Callmem-Customer-Ref: {r['customer_ref']}\r\n")
        KSR.hdr.append(f"X-Callmem-Confidence: {identity['confidence']}\r\n")
        KSR.hdr.append(f"X-Callmem-Recommendation: {identity['recommendation']}\r\n")
        if r["open_intents"]:
            KSR.hdr.append(f"X-Callmem-Intent: {r['open_intents'][0]['intent']}\r\n")
        KSR.info(f"callmem: start {request['call_id']} pid={os.getpid()} {identity['recommendation']} "
                 f"{took:.2f} ms\n")

    def on_bye(self) -> None:
        agent = self.from_agent()
        disposition = header("X-Callmem-Disposition") if agent else None
        outcome = (header("X-Callmem-Identity") or "").strip().lower() if agent else ""
        KSR.textops.remove_hf_re("^X-Callmem-")  # not for the caller
        ci = call_id()
        end: Dict[str, Any] = {"call_id": ci}
        fields = [f.strip() for f in (disposition or "").split(";")]
        if fields[0] and fields[0].lower() != "none":
            end["intent"] = fields[0]
            for f in fields[1:]:
                key, _, value = f.partition("=")
                if key.strip().lower() == "status" and value.strip().lower() in STATUSES:
                    end["intent_status"] = value.strip().lower()
        try:
            memory = self.open()
            memory.end_call(self.tenant, end)
        except callmem.CallmemError as e:
            KSR.err(f"callmem: end {ci}: {e}\n")
            return
        if outcome not in OUTCOMES:
            return
        try:
            memory.identity_feedback(self.tenant, call_id=ci, outcome=outcome)
        except callmem.Conflict as e:
            # Rejecting a call that matched no one (its caller got a new
            # customer), or a second answer: nothing to undo.
            KSR.info(f"callmem: feedback {ci} {outcome} not applied: {e}\n")
        except callmem.CallmemError as e:
            KSR.err(f"callmem: feedback {ci}: {e}\n")
