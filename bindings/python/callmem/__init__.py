"""callmem: call memory for contact centers, over the callmem C ABI (libcallmem.so).

    import callmem

    with callmem.CallMemory("calls.db") as memory:
        r = memory.start_call("acme", call_id="call_001",
                              identity_hints={"ani": "+14155551234"}, telco={"line_type": "mobile"})
        print(r["customer_ref"], r["identity"]["recommendation"], r["open_intents"])
        memory.end_call("acme", call_id="call_001", intent="refund_request",
                        variables={"name": "John Doe"})

Requests and answers are the JSON of docs/contract.md, as dicts. Failures raise
CallmemError subclasses. libcallmem.so is found through CALLMEM_LIBRARY, next
to this package, or on the system's library path (see callmem._native).
"""

from .errors import (
    Busy,
    CallmemError,
    ClosedError,
    Conflict,
    InsufficientCredits,
    InvalidRequest,
    NotFound,
    Status,
    StoreError,
)
from .memory import CallMemory, Request, version, warm

__version__ = "0.1.0"

__all__ = [
    "Busy",
    "CallMemory",
    "CallmemError",
    "ClosedError",
    "Conflict",
    "InsufficientCredits",
    "InvalidRequest",
    "NotFound",
    "Request",
    "Status",
    "StoreError",
    "version",
    "warm",
]
