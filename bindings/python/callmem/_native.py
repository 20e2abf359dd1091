"""Loading libcallmem.so and declaring the C ABI (include/callmem/callmem.h) to ctypes.

The library is looked for, in order:

1. the file named by the environment variable ``CALLMEM_LIBRARY``;
2. ``libcallmem.so*`` next to this package (copied in before ``pip install``);
3. the loader's own search for ``libcallmem.so.<major>`` (``LD_LIBRARY_PATH``,
   ``ld.so.cache``, the default directories);
4. last, ``ctypes.util.find_library("callmem")``, which runs other programs
   (``ldconfig -p``, ``gcc``, ``ld``, ``objdump``: hundreds of milliseconds).

Nothing is loaded at import: the library is loaded by the first ``CallMemory``
(or ``callmem.warm()``). The import itself stays cheap (a few milliseconds):
``ctypes.util`` and ``pathlib`` are not imported unless needed.
"""

from __future__ import annotations

import ctypes
import os
import threading
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
    "callmem_warm": (_c_int, []),
    # For servers in front of the library (the Node package's callmem-mcp); not used here.
    "callmem_api_key_tenant": (_c_int, [_handle, _c_str, _out]),
}

#: Functions an older libcallmem may lack: declared when present.
OPTIONAL = frozenset({"callmem_warm", "callmem_api_key_tenant"})

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


def _beside() -> List[str]:
    """``libcallmem.so*`` in this package's folder: the SONAME first, then the
    development link and the fully versioned file."""
    here = os.path.dirname(os.path.realpath(__file__))
    try:
        names = [n for n in os.listdir(here) if n.startswith("libcallmem.so")]
    except OSError:
        return []
    names.sort(key=lambda n: (n != f"libcallmem.so.{ABI_MAJOR}", n))
    return [os.path.join(here, n) for n in names]


def _candidates() -> Iterator[str]:
    env = os.environ.get("CALLMEM_LIBRARY")
    if env:
        yield env
        return  # an explicit choice is not second-guessed
    yield from _beside()
    # The loader's search (dlopen of the SONAME) costs what a dlopen costs.
    yield f"libcallmem.so.{ABI_MAJOR}"
    # Only when the loader cannot find it: find_library starts other programs.
    import ctypes.util

    found = ctypes.util.find_library("callmem")
    if found:
        yield found


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    for name, (restype, argtypes) in SIGNATURES.items():
        if name in OPTIONAL and not hasattr(lib, name):
            continue
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
