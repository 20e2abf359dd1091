"""The package in a host that forks workers or starts a process per call: the
library found without starting other programs, an import that loads
nothing, warm() before a fork, and a CallMemory carried across fork()
refused in the child while the parent's keeps working."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

import callmem
from callmem import _native
from conftest import start_request


def _env_without_library() -> Dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("CALLMEM_LIBRARY", "LD_LIBRARY_PATH")}


def test_import_loads_nothing_and_starts_no_program_search(tmp_path: Path) -> None:
    code = (
        "import json, sys; before = set(sys.modules); import callmem; "
        "mapped = 'libcallmem' in open('/proc/self/maps').read(); "
        "print(json.dumps([sorted(set(sys.modules) - before), mapped]))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env_without_library(),
                         capture_output=True, text=True, check=True).stdout
    modules, mapped = json.loads(out)
    added = set(modules)
    assert "callmem" in added
    # find_library's module (and the subprocess it starts programs with) and pathlib: not at import.
    assert not added & {"ctypes.util", "subprocess", "pathlib", "shutil"}
    # Nothing loaded yet: the library is loaded by the first CallMemory or warm().
    assert not mapped


def test_library_found_by_the_loader_before_find_library(tmp_path: Path) -> None:
    lib = Path(_native.library()._name).resolve()
    libdir = tmp_path / "lib"
    libdir.mkdir()
    shutil.copy(lib, libdir / "libcallmem.so.0")
    env = dict(_env_without_library(), LD_LIBRARY_PATH=str(libdir))
    code = (
        "import sys, callmem; m = callmem.CallMemory(':memory:'); m.close(); "
        "print(callmem._native.library()._name, 'ctypes.util' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["libcallmem.so.0", "False"]  # the SONAME, through the loader; no find_library


def test_library_loaded_in_the_process_is_the_one_the_loader_found(tmp_path: Path) -> None:
    lib = Path(_native.library()._name).resolve()
    package = tmp_path / "pkg" / "callmem"
    shutil.copytree(Path(callmem.__file__).parent, package)
    shutil.copy(lib, package / "libcallmem.so.0")
    code = (
        "import sys, callmem; callmem.warm(); "
        "print([l.split()[-1] for l in open('/proc/self/maps') if 'libcallmem' in l][0], "
        "'ctypes.util' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "pkg", env=_env_without_library(),
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(package / "libcallmem.so.0"), "False"]


def test_warm_is_idempotent() -> None:
    assert callmem.warm() is None
    assert callmem.warm() is None


def _in_child(fn) -> Dict[str, object]:
    """Runs fn in a forked child; what it returned (JSON), or its exception's text."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.close(r)
        try:
            result = {"ok": fn()}
        except BaseException as e:  # noqa: BLE001 (reported to the parent)
            result = {"error": type(e).__name__, "message": str(e),
                      "status": getattr(e, "status", None) and int(e.status)}
        os.write(w, json.dumps(result).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return json.loads(data)


def test_a_memory_carried_across_fork_is_refused_in_the_child(db_path: str) -> None:
    callmem.warm()
    parent = callmem.CallMemory(db_path)
    parent.start_call("acme", start_request("before-fork"))

    got = _in_child(lambda: parent.start_call("acme", start_request("in-child")))
    assert got["error"] == "CallmemError" and got["status"] == int(callmem.Status.ERROR)
    assert "after fork()" in got["message"] and "open the database in each process" in got["message"]

    def own() -> str:
        parent.close()  # frees nothing of the parent's
        with callmem.CallMemory(db_path) as mine:
            return mine.start_call("acme", start_request("own-in-child"))["customer_ref"]

    child_ref = _in_child(own)["ok"]
    # The parent's memory works on, and sees the child's write.
    again = parent.start_call("acme", start_request("after-fork"))
    assert again["customer_ref"] == child_ref
    assert parent.get_customer("acme", customer_ref=child_ref)["customer_ref"] == child_ref
    parent.close()


@pytest.mark.parametrize("workers", [4])
def test_workers_forked_after_warm_open_their_own(db_path: str, workers: int) -> None:
    callmem.warm()
    callmem.CallMemory(db_path).close()  # created before the fork, closed

    def worker(i: int):
        def run() -> str:
            with callmem.CallMemory(db_path) as m:
                return m.start_call("acme", start_request(f"w{i}", ani=f"+1415555020{i}"))["call_id"]
        return run

    assert [_in_child(worker(i))["ok"] for i in range(workers)] == [f"w{i}" for i in range(workers)]
