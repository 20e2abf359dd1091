"""Loading libcallmem.so and declaring the C ABI (include/callmem/callmem.h) to ctypes.

The library is looked for, in order:

1. the file named by the environment variable ``CALLMEM_LIBRARY``;
2. ``libcallmem.so*`` next to this package (copied in before ``pip install``);
3. the system: ``ctypes.util.find_library("callmem")``, then the loader's own
   search for ``libcallmem.so.<major>`` (``LD_LIBRARY_PATH``, ``ld.so.cache``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from pathlib import Path
from typing import Iterator, List, Optional

#: The C ABI's major version these bindings are written for (the SONAME's).
ABI_MAJOR = 0

_c_int = ctypes.c_int
_c_str = ctypes.c_char_p
_handle = ctypes.c_void_p
_out = ctypes.POINTER(ctypes.c_void_p)  # char ** out parameters, read and freed by hand

# Every function of callmem.h: name -> (restype, argtypes).
SIGNATURES = {
    "callmem_open": (_c_int, [ctypes.POINTER(_handle), _c_str]),
    "callmem_close": (None, [_handle]),
    "callmem_call_start": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_call_end": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_customer_get": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_customer_forget": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_customer_export": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_tenant_configure": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_tenant_settings_get": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_credits_grant": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_usage": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_purge_expired": (_c_int, [_handle, _c_str, _out]),
    "callmem_identity_feedback": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_identity_unmerge": (_c_int, [_handle, _c_str, _c_str, _out]),
    "callmem_import": (_c_int, [_handle, _c_str, _c_str, _c_str, _out]),
    "callmem_free": (None, [ctypes.c_void_p]),
    "callmem_last_error": (_c_str, []),
    "callmem_version_number": (_c_int, []),
    "callmem_version": (_c_str, []),
    "callmem_status_http": (_c_int, [_c_int]),
}

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


def _candidates() -> Iterator[str]:
    env = os.environ.get("CALLMEM_LIBRARY")
    if env:
        yield env
        return  # an explicit choice is not second-guessed
    here = Path(__file__).resolve().parent
    # The SONAME first, then the development link and the fully versioned file.
    beside = sorted(here.glob("libcallmem.so*"), key=lambda p: (p.name != f"libcallmem.so.{ABI_MAJOR}", p.name))
    for path in beside:
        yield str(path)
    found = ctypes.util.find_library("callmem")
    if found:
        yield found
    yield f"libcallmem.so.{ABI_MAJOR}"


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    for name, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def library() -> ctypes.CDLL:
    """The loaded libcallmem, declared; loads it on first use. Raises OSError when not found."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            tried: List[str] = []
            for candidate in _candidates():
                try:
                    lib = ctypes.CDLL(candidate)
                except OSError as e:
                    tried.append(f"{candidate} ({e})")
                    continue
                major = _declare(lib).callmem_version_number() // 10000
                if major != ABI_MAJOR:
                    tried.append(f"{candidate} (ABI major {major}, these bindings need {ABI_MAJOR})")
                    continue
                _lib = lib
                break
            else:
                raise OSError(
                    "libcallmem not found; set CALLMEM_LIBRARY to its path. Tried: " + "; ".join(tried)
                )
    return _lib


def take_string(lib: ctypes.CDLL, out: ctypes.c_void_p) -> Optional[bytes]:
    """The bytes of a string the library returned through a char ** (then freed), or None."""
    if not out.value:
        return None
    try:
        return ctypes.string_at(out.value)
    finally:
        lib.callmem_free(out)
