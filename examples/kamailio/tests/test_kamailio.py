"""The Kamailio example end to end: Kamailio 5.6 with examples/kamailio
(kamailio.cfg, callmem_kemi.py) between SIPp callers and a SIPp agent, all
on loopback as the current user, the database in a temporary folder.

Plays a first and a returning caller, withheld callers (anonymous From,
Privacy: id), spoofed ones (failed STIR/SHAKEN verification, attestation C),
headers a caller forged, and a burst across Kamailio's workers; checks the
headers the agent received (SIPp's message log) and the store afterwards
(the callmem package). scripts/test-kamailio runs it:

    CALLMEM_BUILD=build /usr/bin/python3 -m pytest examples/kamailio/tests

Needs kamailio, app_python3 (kamailio-python3-modules) and sipp (sip-tester).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent
ROOT = EXAMPLE.parent.parent
TENANT = "acme"
DNIS = "+18005550100"
WORKERS = 4

pytestmark = pytest.mark.skipif(
    not (shutil.which("kamailio") and shutil.which("sipp")), reason="kamailio and sipp (sip-tester) not installed"
)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A caller's INVITE; {headers} are the case's own lines. Every INVITE also
# carries callmem's result headers, forged: the agent must never see them.
CALLER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller {case}">
  <send retrans="500">
    <![CDATA[

      INVITE sip:{dnis}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: {from_} <sip:{from_user}@{from_host}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{dnis}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
{headers}      X-Callmem-Customer-Ref: forged-by-caller
      x-callmem-intent: forged-by-caller
      X-Callmem-Recommendation: reuse
      X-Test-Disposition: {disposition}
      X-Test-Identity: {identity}
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: {from_} <sip:{from_user}@{from_host}>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv request="BYE"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


def passport(attest: str) -> str:
    """An Identity header's value with a PASSporT whose attestation is `attest` (unsigned: only read)."""
    def b64(d: Dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    head = b64({"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": "https://cert.example/c.pem"})
    body = b64({"attest": attest, "dest": {"tn": [DNIS[1:]]}, "iat": int(time.time()),
                "orig": {"tn": "14155550101"}, "origid": "123e4567-e89b-12d3-a456-426655440000"})
    return f"{head}.{body}.c2lnbmF0dXJl;info=<https://cert.example/c.pem>;alg=ES256;ppt=shaken"


class Switch:
    """Kamailio and the SIPp agent, running; callers are played one scenario at a time."""

    def __init__(self, tmp: Path, build: Path) -> None:
        self.tmp = tmp
        self.db = tmp / "calls.db"
        # The package as installed beside its library: no CALLMEM_LIBRARY, no program search.
        package = tmp / "site" / "callmem"
        shutil.copytree(ROOT / "bindings" / "python" / "callmem", package)
        shutil.copy((build / "libcallmem.so.0").resolve(), package / "libcallmem.so.0")
        self.site = tmp / "site"
        self.sip_port, self.agent_port = free_udp_port(), free_udp_port()
        self.agent_log = tmp / "agent_messages.log"
        self.kamailio_log = tmp / "kamailio.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLMEM_")}
        self.agent = subprocess.Popen(
            ["sipp", "-sf", str(HERE / "agent.xml"), "-i", "127.0.0.1", "-p", str(self.agent_port), "-nostdin",
             "-trace_msg", "-message_file", str(self.agent_log), "-trace_err", "-error_file",
             str(tmp / "agent_errors.log")],
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=open(tmp / "agent.err", "w"), env=env)
        run = tmp / "run"
        run.mkdir()
        env = dict(env, CALLMEM_DB=str(self.db), CALLMEM_TENANT=TENANT,
                   CALLMEM_AGENT_URI=f"sip:127.0.0.1:{self.agent_port}", PYTHONPATH=str(self.site))
        self.kamailio = subprocess.Popen(
            ["kamailio", "-f", str(EXAMPLE / "kamailio.cfg"), "-DD", "-E", "-m", "64", "-M", "8",
             "-A", f"SIP_PORT={self.sip_port}", "-A", f"WORKERS={WORKERS}",
             "-A", f'KEMI_SCRIPT="{EXAMPLE / "callmem_kemi.py"}"', "-Y", str(run), "-P", str(run / "kamailio.pid"),
             "-w", str(tmp)],
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=open(self.kamailio_log, "w"), env=env)
        try:
            self.wait_for_kamailio()
        except BaseException:
            self.stop()
            raise

    def wait_for_kamailio(self) -> None:
        # Ready when it answers (405 to an OPTIONS) on its port.
        deadline = time.monotonic() + 15
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.2)
            here = s.getsockname()[1]
            options = (f"OPTIONS sip:probe@127.0.0.1:{self.sip_port} SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP 127.0.0.1:{here};branch=z9hG4bK-probe\r\n"
                       "From: <sip:probe@127.0.0.1>;tag=1\r\n"
                       f"To: <sip:probe@127.0.0.1:{self.sip_port}>\r\nCall-ID: probe\r\nCSeq: 1 OPTIONS\r\n"
                       "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
            while time.monotonic() < deadline:
                if self.kamailio.poll() is not None:
                    raise RuntimeError("kamailio exited:\n" + self.kamailio_log.read_text()[-3000:])
                s.sendto(options.encode(), ("127.0.0.1", self.sip_port))
                try:
                    if s.recv(4096).startswith(b"SIP/2.0 405"):
                        return
                except socket.timeout:
                    continue
        raise RuntimeError("kamailio did not answer:\n" + self.kamailio_log.read_text()[-3000:])

    def play(self, case: str, from_user: str, *, headers: List[str] = (), from_: str = "",
             from_host: str = "carrier.example", disposition: str = "none", identity: str = "none",
             calls: int = 1, rate: int = 10, inf: Optional[Path] = None) -> None:
        scenario = self.tmp / f"caller-{case}.xml"
        scenario.write_text(CALLER.format(case=case, dnis=DNIS, from_=from_, from_user=from_user,
                                          from_host=from_host, disposition=disposition, identity=identity,
                                          headers="".join(f"      {h}\n" for h in headers)))
        command = ["sipp", "-sf", str(scenario), f"127.0.0.1:{self.sip_port}", "-i", "127.0.0.1",
                   "-p", str(free_udp_port()), "-m", str(calls), "-r", str(rate), "-l", str(calls), "-nostdin",
                   "-timeout", "20s", "-timeout_error", "-cid_str", f"{case}-%u-%p@%s", "-trace_err", "-error_file",
                   str(self.tmp / f"caller-{case}-errors.log")]
        if inf:
            command += ["-inf", str(inf)]
        result = subprocess.run(command, cwd=self.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, timeout=30)
        assert result.returncode == 0, f"sipp {case}: {result.returncode} {result.stderr[-2000:]}"

    def stop(self) -> None:
        for process, sig in ((self.kamailio, signal.SIGTERM), (self.agent, signal.SIGUSR1)):
            if process.poll() is None:
                process.send_signal(sig)
        for process in (self.kamailio, self.agent):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def agent_saw(self) -> Dict[str, Dict[str, List[str]]]:
        """The INVITEs the agent received, by Call-ID: each header's values by lower-case name."""
        seen: Dict[str, Dict[str, List[str]]] = {}
        text = self.agent_log.read_text(errors="replace") if self.agent_log.exists() else ""
        for block in re.split(r"\n-{20,}[^\n]*\n", text):
            if "message received" not in block or "INVITE sip:" not in block:
                continue
            message = block.split("bytes :", 1)[-1].strip("\r\n ")
            head = message.split("\n\n", 1)[0].split("\r\n\r\n", 1)[0]
            lines = head.replace("\r\n", "\n").split("\n")
            if not lines[0].startswith("INVITE "):
                continue
            headers: Dict[str, List[str]] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), []).append(value.strip())
            seen[headers["call-id"][0]] = headers
        return seen

    def log(self) -> str:
        return self.kamailio_log.read_text(errors="replace")


@pytest.fixture(scope="module")
def switch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Switch]:
    build = Path(os.environ.get("CALLMEM_BUILD", ROOT / "build")).resolve()
    s = Switch(tmp_path_factory.mktemp("kamailio"), build)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def memory(switch: Switch):
    """The store as the example left it, read through the same package."""
    sys.path.insert(0, str(switch.site))
    import callmem

    return callmem


def case_of(call_id: str) -> str:
    """The case a Call-ID was made for (sipp -cid_str "<case>-%u-%p@%s")."""
    return call_id.rsplit("-", 2)[0]


def agent_headers(switch: Switch, case: str) -> Dict[str, List[str]]:
    got = [h for ci, h in switch.agent_saw().items() if case_of(ci) == case]
    assert len(got) == 1, f"{case}: the agent saw {len(got)} INVITEs"
    return got[0]


def callmem_headers(h: Dict[str, List[str]]) -> Dict[str, str]:
    out = {}
    for name, values in h.items():
        if name.startswith("x-callmem-"):
            assert len(values) == 1, f"{name} more than once: {values}"
            out[name[len("x-callmem-"):]] = values[0]
    return out


def test_first_caller_then_returning(switch: Switch) -> None:
    switch.play("first", "+14155550101", disposition="refund_request", identity="none")
    first = callmem_headers(agent_headers(switch, "first"))
    assert first["status"] == "ok" and first["recommendation"] == "ignore" and first["confidence"] == "0"
    assert "intent" not in first and first["customer-ref"] != "forged-by-caller"
    # From P-Asserted-Identity (the From is another number), verified: the agent's refund_request comes back.
    switch.play("returning", "+14155559999", from_='"Front desk"',
                headers=["P-Asserted-Identity: <sip:+14155550101;verstat=TN-Validation-Passed@carrier.example;user=phone>"],
                disposition="refund_request;status=resolved", identity="confirmed")
    again = callmem_headers(agent_headers(switch, "returning"))
    assert again["customer-ref"] == first["customer-ref"]
    assert again["recommendation"] in ("reuse", "confirm") and float(again["confidence"]) > 0.5
    assert again["intent"] == "refund_request"


def test_withheld_callers_are_nobody(switch: Switch) -> None:
    known = callmem_headers(agent_headers(switch, "first"))["customer-ref"]
    switch.play("anonymous", "anonymous", from_='"Anonymous"', from_host="anonymous.invalid")
    # Privacy: id: the network knows the number (P-Asserted-Identity), the caller asked it not be used.
    switch.play("privacy", "anonymous", from_='"Anonymous"', from_host="anonymous.invalid",
                headers=["P-Asserted-Identity: <sip:+14155550101@carrier.example;user=phone>", "Privacy: id"])
    for case in ("anonymous", "privacy"):
        h = callmem_headers(agent_headers(switch, case))
        assert h["status"] == "ok" and h["recommendation"] == "ignore" and "intent" not in h
        assert h["customer-ref"] not in (known, "forged-by-caller")


def test_spoofed_callers_get_no_one_elses_data(switch: Switch) -> None:
    known = callmem_headers(agent_headers(switch, "first"))["customer-ref"]
    # A new open intent for the known caller, so that there is something to leak.
    switch.play("known-again", "+14155550101", disposition="address_change")
    switch.play("spoofed", "+14155550101",
                headers=["P-Asserted-Identity: <sip:+14155550101;verstat=TN-Validation-Failed@carrier.example;user=phone>"],
                identity="rejected")
    spoofed = callmem_headers(agent_headers(switch, "spoofed"))
    assert spoofed["recommendation"] == "ignore" and "intent" not in spoofed
    assert spoofed["customer-ref"] != known
    # Attestation C (the carrier cannot vouch for the number): never reused without the agent
    # confirming; this agent finds it is someone else and rejects the match.
    switch.play("attest-c", "+14155550101", headers=[f"Identity: {passport('C')}"], identity="rejected")
    c = callmem_headers(agent_headers(switch, "attest-c"))
    assert c["recommendation"] in ("confirm", "ignore")


def test_burst_across_workers(switch: Switch) -> None:
    # 60 calls at 150 calls/s from 30 numbers (each calls twice), over the workers.
    inf = switch.tmp / "burst.csv"
    inf.write_text("SEQUENTIAL\n" + "".join(f"+1212555{1000 + i % 30};\n" for i in range(60)))
    switch.play("burst", "[field0]", calls=60, rate=150, inf=inf, disposition="order_status")
    burst = {ci: callmem_headers(h) for ci, h in switch.agent_saw().items() if case_of(ci) == "burst"}
    assert len(burst) == 60 and all(h["status"] == "ok" for h in burst.values())
    pids = set(re.findall(r"callmem: start burst-\S+ pid=(\d+)", switch.log()))
    assert len(pids) >= 2, f"the burst ran in {len(pids)} worker(s)"


def test_the_store_afterwards(switch: Switch, memory) -> None:
    # Every BYE handled before the store is read.
    time.sleep(0.3)
    with memory.CallMemory(str(switch.db)) as m:
        first = callmem_headers(agent_headers(switch, "first"))["customer-ref"]
        c = m.get_customer(TENANT, identity_hints={"ani": "+14155550101"})
        assert c["customer_ref"] == first
        # refund_request resolved by the agent on the returning call; address_change left open.
        assert [i["intent"] for i in c["intents"] if i["status"] == "open"] == ["address_change"]
        # Its calls, each ended by the agent's BYE; none of the withheld or spoofed ones, nor the
        # attestation C one, which the agent rejected (moved to a customer of its own).
        cases = {case_of(call["call_id"]) for call in c["calls"]}
        assert cases == {"first", "returning", "known-again"}
        assert all(call["call_end"] for call in c["calls"])
        # The agent's "confirmed" on the returning call was fed back.
        returning = next(call["call_id"] for call in c["calls"] if call["call_id"].startswith("returning-"))
        again = m.identity_feedback(TENANT, call_id=returning, outcome="confirmed")
        assert again["outcome"] == "confirmed" and again["customer_ref"] == first
        with pytest.raises(memory.Conflict):  # one feedback per call: it was the agent's
            m.identity_feedback(TENANT, call_id=returning, outcome="rejected")
        # The burst: one customer per number, two calls each, both ended with the agent's intent.
        for i in range(30):
            b = m.get_customer(TENANT, identity_hints={"ani": f"+1212555{1000 + i}"})
            assert len(b["calls"]) == 2 and all(call["call_end"] for call in b["calls"])
            assert [x["intent"] for x in b["intents"]] == ["order_status"]
    # No callmem error in any worker.
    assert "callmem: start" in switch.log() and "ERROR" not in "\n".join(
        line for line in switch.log().splitlines() if "callmem" in line)
