#!/usr/bin/env python3
"""callmem for Asterisk: an AGI script that remembers callers.

At answer it asks callmem who is calling and sets channel variables the
dialplan uses; at hang-up it saves the call's intent and variables.

    AGI(callmem_agi.py,start)
        sets CALLMEM_STATUS          ok, or the error's class (the call goes on without memory)
             CALLMEM_RECOMMENDATION  reuse | confirm | ignore
             CALLMEM_CONFIDENCE      0 to 1
             CALLMEM_CUSTOMER_REF    the caller's stable reference
             CALLMEM_OPEN_INTENT     the newest open intent, or empty
             CALLMEM_NAME            the saved variable "name", or empty
        reads CALLMEM_LINE_TYPE      optional: mobile | landline | voip (e.g. from a carrier header)

    AGI(callmem_agi.py,end,<intent>[,<status>[,<key>=<value>...]])
        saves the intent, if any (status open, resolved or abandoned; default
        open), and the variables with a value; sends no command, so it runs
        on a dead channel too. An end whose start never ran is saved by the
        caller's number.

The call is identified by ${UNIQUEID} (agi_uniqueid), the caller by
agi_callerid (withheld numbers, e.g. "anonymous", are recorded but never
identify anyone), the dialled number by agi_dnid.

extensions.conf:

    [from-trunk]
    exten => _X.,1,Answer()
     same => n,Set(CHANNEL(hangup_handler_push)=callmem-end,s,1)
     same => n,AGI(callmem_agi.py,start)
     same => n,GotoIf($["${CALLMEM_RECOMMENDATION}" = "reuse" & "${CALLMEM_OPEN_INTENT}" != ""]?followup)
     same => n,Goto(main-menu,s,1)
     same => n(followup),Playback(about-your-last-request)   ; "Hello ${CALLMEM_NAME}, ..."

    [callmem-end]
    exten => s,1,AGI(callmem_agi.py,end,${INTENT},${INTENT_STATUS},name=${CALLER_NAME})
     same => n,Return()

Environment: CALLMEM_DB (database file, default /var/lib/asterisk/callmem.db),
CALLMEM_TENANT (default "asterisk"); the callmem package must be installed
(pip install ./bindings/python) and find libcallmem.so.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Dict, List, Optional, TextIO

import callmem

_REPLY = re.compile(r"^(\d{3}) result=(-?\d+)(?: \((.*)\))?")


class Agi:
    """The AGI conversation on stdin/stdout: the environment block, then commands and replies."""

    def __init__(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        self.stdin, self.stdout = stdin, stdout
        self.env: Dict[str, str] = {}
        while True:
            line = stdin.readline().rstrip("\r\n")
            if not line:
                break
            key, _, value = line.partition(":")
            self.env[key.strip()] = value.strip()

    def command(self, text: str) -> Optional[str]:
        """Sends a command; answers the reply's parenthesised data, or None when result=0."""
        self.stdout.write(text + "\n")
        self.stdout.flush()
        while True:
            reply = self.stdin.readline()
            if not reply:
                raise EOFError("Asterisk closed the AGI connection")
            reply = reply.rstrip("\r\n")
            if reply != "HANGUP":  # the caller hung up meanwhile: the reply follows
                break
        match = _REPLY.match(reply)
        if not match or match.group(1) != "200":
            raise RuntimeError(f"AGI command {text!r} failed: {reply}")
        if match.group(2) == "0":
            return None
        return match.group(3) or ""

    def get_variable(self, name: str) -> Optional[str]:
        return self.command(f"GET VARIABLE {name}")

    def set_variable(self, name: str, value: object) -> None:
        # One line, quoted: a newline in a value would start another command.
        text = re.sub(r"[\r\n]+", " ", str(value)).replace("\\", "\\\\").replace('"', '\\"')
        self.command(f'SET VARIABLE {name} "{text}"')

    def verbose(self, message: str) -> None:
        self.command('VERBOSE "{}" 1'.format(message.replace('"', "'").replace("\n", " ")))


def caller_hints(env: Dict[str, str]) -> Dict[str, str]:
    """identity_hints from the AGI environment. An absent caller ID is sent as
    "unknown" (what Asterisk shows for it): callmem records the call and
    recognises nobody by it, as for "anonymous" or "restricted"."""
    hints = {"ani": env.get("agi_callerid", "") or "unknown"}
    dnid = env.get("agi_dnid", "")
    if dnid and dnid != "unknown":
        hints["dnis"] = dnid
    return hints


def open_memory() -> callmem.CallMemory:
    return callmem.CallMemory(os.environ.get("CALLMEM_DB", "/var/lib/asterisk/callmem.db"))


def start(agi: Agi, tenant: str) -> None:
    request = {"call_id": agi.env["agi_uniqueid"], "identity_hints": caller_hints(agi.env)}
    line_type = agi.get_variable("CALLMEM_LINE_TYPE")
    if line_type in ("mobile", "landline", "voip"):
        request["telco"] = {"line_type": line_type}
    try:
        with open_memory() as memory:
            answer = memory.start_call(tenant, request)
    except callmem.CallmemError as e:
        # The call goes on without memory; the dialplan sees why.
        agi.verbose(f"callmem: call start failed: {e}")
        agi.set_variable("CALLMEM_STATUS", type(e).__name__)
        agi.set_variable("CALLMEM_RECOMMENDATION", "ignore")
        return
    identity = answer["identity"]
    intents = answer.get("open_intents", [])
    name = answer.get("variables", {}).get("name", {}).get("value", "")
    agi.set_variable("CALLMEM_STATUS", "ok")
    agi.set_variable("CALLMEM_CONFIDENCE", identity["confidence"])
    agi.set_variable("CALLMEM_RECOMMENDATION", identity["recommendation"])
    agi.set_variable("CALLMEM_CUSTOMER_REF", answer["customer_ref"])
    agi.set_variable("CALLMEM_OPEN_INTENT", intents[0]["intent"] if intents else "")  # newest first
    agi.set_variable("CALLMEM_NAME", name if isinstance(name, str) else "")


def end(agi: Agi, tenant: str, args: List[str]) -> int:
    request: Dict[str, object] = {"call_id": agi.env["agi_uniqueid"]}
    intent = args[0] if args else ""
    if intent:
        request["intent"] = intent
        request["intent_status"] = args[1] if len(args) > 1 and args[1] else "open"
    variables = dict(arg.split("=", 1) for arg in args[2:] if "=" in arg)
    variables = {k: v for k, v in variables.items() if k and v}  # an unset channel variable is empty
    if variables:
        request["variables"] = variables
    try:
        with open_memory() as memory:
            try:
                memory.end_call(tenant, request)
            except callmem.NotFound:
                # The start failed or never ran: a standalone end, matched by the caller's number.
                memory.end_call(tenant, dict(request, identity_hints=caller_hints(agi.env)))
    except callmem.CallmemError as e:
        print(f"callmem: call end failed: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv: List[str]) -> int:
    agi = Agi()
    # Arguments come on the command line; agi_arg_N in the environment says the same.
    numbered = [k for k in agi.env if re.fullmatch(r"agi_arg_\d+", k)]
    args = argv[1:] or [agi.env[k] for k in sorted(numbered, key=lambda k: int(k[len("agi_arg_"):]))]
    mode, rest = (args[0], args[1:]) if args else ("start", [])
    tenant = os.environ.get("CALLMEM_TENANT", "asterisk")
    if mode == "start":
        start(agi, tenant)
        return 0
    if mode == "end":
        return end(agi, tenant, rest)
    print(f"callmem_agi.py: unknown mode {mode!r} (start or end)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
