"""CallMemory: one callmem database, over the C ABI."""

from __future__ import annotations

import ctypes
import json
import os
import threading
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Union

from . import _native
from .errors import CallmemError, ClosedError, InvalidRequest, Status, error_for

#: A request: a mapping (encoded to JSON), or JSON text as str or bytes (passed as is).
Request = Union[Mapping[str, Any], str, bytes, None]

_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _encode(request: Request, fields: Dict[str, Any], default: Optional[bytes] = b"{}") -> Optional[bytes]:
    """The request's JSON bytes: the mapping (or JSON text) with the keyword fields on top."""
    if isinstance(request, (str, bytes)):
        if fields:
            raise TypeError("keyword fields cannot be added to a request given as JSON text")
        return request.encode() if isinstance(request, str) else request
    if not fields:
        return default if request is None else _dumps(request).encode()
    merged = dict(request) if request is not None else {}
    merged.update(fields)
    return _dumps(merged).encode()


def _tenant(tenant: str) -> bytes:
    if not isinstance(tenant, str):
        raise TypeError(f"tenant must be a str, not {type(tenant).__name__}")
    if "\0" in tenant:  # ctypes would cut the string at the NUL
        raise InvalidRequest(
            "Validation failed",
            Status.INVALID,
            {
                "error": "Bad Request",
                "message": "Validation failed",
                "details": {"issues": [{"path": ["tenant"], "message": "tenant must not contain NUL"}]},
            },
        )
    return tenant.encode()


class CallMemory:
    """A call memory: one database, shared by any number of threads.

    ``CallMemory("calls.db")``, ``CallMemory(path="calls.db", busy_timeout_ms=2000)``
    or ``CallMemory({"path": "calls.db", "default_settings": {...}})``: the
    configuration of ``callmem_open`` (``path``, ``busy_timeout_ms``,
    ``default_settings``); no path is ``callmem.db`` in the working directory,
    ``":memory:"`` a private in-memory database. A memory shared by many
    nodes: ``CallMemory(store="postgres", dsn="postgresql://...")``
    (docs/storage.md).

    Every operation takes the tenant, then the request as a dict (or JSON text)
    and/or keyword arguments (merged over the dict), and returns the answer as
    a dict. A failure raises a CallmemError subclass (see callmem.errors) and
    has written nothing. Use a dict for fields that are Python keywords
    (``usage("acme", {"from": ..., "to": ...})``).

    It is a context manager; close() waits for the operations running in other
    threads to return, and calling it again does nothing. Any operation after
    close() raises ClosedError.
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]", Mapping[str, Any], None] = None,
        **config: Any,
    ) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._active = 0
        self._closing = False
        self._handle: Optional[int] = None
        if isinstance(path, Mapping):
            options: Dict[str, Any] = dict(path)
        else:
            options = {}
            if path is not None:
                options["path"] = os.fspath(path)
        options.update(config)
        lib = _native.library()
        self._lib = lib
        handle = ctypes.c_void_p()
        status = lib.callmem_open(ctypes.byref(handle), _dumps(options).encode())
        if status != Status.OK:
            # callmem_open has no error document: its message is this thread's last error.
            raise error_for(status, None, lib.callmem_last_error().decode(errors="replace"))
        self._handle = handle.value

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Closes the database, after the operations running in other threads return. Idempotent."""
        with self._cond:
            self._closing = True
            while self._active:
                self._cond.wait()
            handle, self._handle = self._handle, None
            if handle:
                self._lib.callmem_close(handle)

    @property
    def closed(self) -> bool:
        """True once close() began."""
        return self._closing or self._handle is None

    def __enter__(self) -> "CallMemory":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        # Nothing can be running: no thread holds a reference any more.
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = None
            self._lib.callmem_close(handle)

    # -- the call ------------------------------------------------------------------

    def _call(self, fn: Callable[..., int], *args: Optional[bytes]) -> Dict[str, Any]:
        with self._cond:
            if self._closing or not self._handle:
                raise ClosedError()
            self._active += 1
            handle = self._handle
        out = ctypes.c_void_p()
        try:
            status = fn(handle, *args, ctypes.byref(out))
        finally:
            with self._cond:
                self._active -= 1
                if not self._active and self._closing:
                    self._cond.notify_all()
        text = _native.take_string(self._lib, out)
        if status != Status.OK:
            raise error_for(status, text)
        if text is None:
            raise CallmemError("callmem returned no answer")
        result: Dict[str, Any] = json.loads(text)
        return result

    # -- operations (docs/contract.md) ---------------------------------------------

    def start_call(self, tenant: str, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """Call start: who this caller probably is, their open intents and variables.

        ``start_call("acme", call_id="c1", identity_hints={"ani": "+14155551234"},
        telco={"line_type": "mobile"})`` -> ``{"customer_ref": ..., "identity": {...},
        "open_intents": [...], "variables": {...}, ...}``
        """
        return self._call(self._lib.callmem_call_start, _tenant(tenant), _encode(request, fields))

    def end_call(self, tenant: str, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """Call end: saves the intent(s) and variables. ``end_call("acme", call_id="c1",
        intent="refund_request", variables={"name": "John Doe"})``"""
        return self._call(self._lib.callmem_call_end, _tenant(tenant), _encode(request, fields))

    def get_customer(self, tenant: str, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """A customer's identities, intents, variables and calls, by ``customer_ref`` or ``identity_hints``."""
        return self._call(self._lib.callmem_customer_get, _tenant(tenant), _encode(request, fields))

    def forget_customer(self, tenant: str, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """Erases a customer (GDPR); answers a receipt of what was removed."""
        return self._call(self._lib.callmem_customer_forget, _tenant(tenant), _encode(request, fields))

    def export_customer(self, tenant: str, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """Everything stored about one customer (subject access), by ``customer_ref``."""
        return self._call(self._lib.callmem_customer_export, _tenant(tenant), _encode(request, fields))

    def configure_tenant(self, tenant: str, settings: Request = None, **fields: Any) -> Dict[str, Any]:
        """Sets any subset of the tenant's settings and answers all of them; no argument writes nothing."""
        return self._call(self._lib.callmem_tenant_configure, _tenant(tenant), _encode(settings, fields))

    def tenant_settings(self, tenant: str) -> Dict[str, Any]:
        """The tenant's settings, read without writing (a tenant never configured follows ``default_settings``)."""
        return self._call(self._lib.callmem_tenant_settings_get, _tenant(tenant), None)

    def grant_credits(self, tenant: str, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """Adds prepaid credits: ``grant_credits("acme", amount=100, idempotency_key="topup-1")``."""
        return self._call(self._lib.callmem_credits_grant, _tenant(tenant), _encode(request, fields))

    def usage(self, tenant: str, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """The balance, and counts and credits by day and operation (``{"from": ..., "to": ...}``)."""
        return self._call(self._lib.callmem_usage, _tenant(tenant), _encode(request, fields))

    def purge_expired(self, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """Deletes expired rows across all tenants, at most ``limit`` of them (``now``, ``limit``)."""
        return self._call(self._lib.callmem_purge_expired, _encode(request, fields, default=None))

    def identity_feedback(self, tenant: str, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """What the host learned on a call: ``outcome`` confirmed, rejected or corrected (docs/feedback.md)."""
        return self._call(self._lib.callmem_identity_feedback, _tenant(tenant), _encode(request, fields))

    def unmerge(self, tenant: str, request: Request = None, **fields: Any) -> Dict[str, Any]:
        """Undoes a merge made by ``corrected`` feedback: ``unmerge("acme", merge_id=...)``."""
        return self._call(self._lib.callmem_identity_unmerge, _tenant(tenant), _encode(request, fields))

    def import_calls(self, tenant: str, calls: Union[str, bytes, Iterable[Mapping[str, Any]]], *,
                     strict: bool = False, batch: int = 2000) -> Dict[str, Any]:
        """Bulk import of past calls (docs/import.md): NDJSON text, or dicts
        ``{"start": {...}, "end": {...}}`` each with its ``at``. Applied in time
        order, not billed, ``batch`` calls per transaction; a call already there
        is skipped. Answers ``{"imported", "skipped", "rejected": [{"line",
        "call_id", "error"}]}`` (lines from 1)."""
        if isinstance(calls, str):
            text = calls.encode()
        elif isinstance(calls, bytes):
            text = calls
        else:
            text = "".join(json.dumps(c, separators=(",", ":")) + "\n" for c in calls).encode()
        options = json.dumps({"strict": strict, "batch": batch}).encode()
        return self._call(self._lib.callmem_import, _tenant(tenant), text, options)


def warm() -> None:
    """Loads libcallmem and builds what the first call start would otherwise
    build (libphonenumber's metadata and patterns). A host that forks workers
    (Kamailio, gunicorn, multiprocessing with fork) calls it once before
    forking, then opens a CallMemory in each worker after the fork: the
    workers share the loaded library and its set-up instead of each paying
    for them (docs/threading.md). Idempotent; with a libcallmem older than
    callmem_warm it only loads the library."""
    lib = _native.library()
    if hasattr(lib, "callmem_warm"):
        status = lib.callmem_warm()
        if status != Status.OK:
            raise error_for(status, None, lib.callmem_last_error().decode(errors="replace"))


def version() -> str:
    """The version of the libcallmem loaded."""
    return _native.library().callmem_version().decode()
