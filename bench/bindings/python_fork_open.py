#!/usr/bin/python3
"""What a pre-forking host's Python worker pays: ``import callmem`` in a fresh
interpreter, and opening a CallMemory (then its first start_call) in a freshly
forked worker, with the library found as an installed package finds it (no
CALLMEM_LIBRARY: libcallmem.so.0 beside the package, or through the loader's
LD_LIBRARY_PATH), loaded in each worker or loaded and warmed before the fork.
Also what ctypes.util.find_library("callmem") costs, the search the package
no longer starts before the loader's.

    bench/bindings/python_fork_open.py [BUILD_DIR] [--workers N] [--imports N]
        BUILD_DIR default build (libcallmem.so.0 built there); N 8, 15
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = "/usr/bin/python3"

# Run in a fresh interpreter whose sys.path starts at the package's copy.
IMPORT = "import time; t = time.perf_counter(); import callmem; print((time.perf_counter() - t) * 1000)"

STDLIB = "import ctypes, enum, json, threading, typing"

FORK = r"""
import os, sys, time, json
mode, path, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
import callmem
if mode == "warmed":
    callmem.warm()
results = []
for i in range(workers):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        t0 = time.perf_counter()
        m = callmem.CallMemory(path)
        t1 = time.perf_counter()
        m.start_call("acme", call_id=f"{mode}-{os.getpid()}-{i}", identity_hints={"ani": "+14155550123"})
        t2 = time.perf_counter()
        m.close()
        os.write(w, json.dumps([(t1 - t0) * 1000, (t2 - t1) * 1000]).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    results.append(json.loads(data))
print(json.dumps(results))
"""


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build", nargs="?", default=str(ROOT / "build"))
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--imports", type=int, default=15)
    a = ap.parse_args()
    a.build = str(Path(a.build).resolve())  # the runs below start in a temporary folder
    lib = Path(a.build) / "libcallmem.so.0"
    if not lib.exists():
        print(f"{lib} not built (cmake --build {a.build} --target callmem)", file=sys.stderr)
        return 1
    env = {k: v for k, v in os.environ.items() if k not in ("CALLMEM_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    with tempfile.TemporaryDirectory(prefix="callmem-fork-open-") as tmp:
        beside = Path(tmp) / "beside"
        shutil.copytree(ROOT / "bindings" / "python" / "callmem", beside / "callmem")
        shutil.copy(lib.resolve(), beside / "callmem" / "libcallmem.so.0")
        plain = Path(tmp) / "plain"  # the package alone: the loader finds the library
        shutil.copytree(ROOT / "bindings" / "python" / "callmem", plain / "callmem")

        def run(code, where, *args, extra=None):
            e = dict(env, PYTHONPATH=str(where), **(extra or {}))
            return subprocess.run([PYTHON, "-c", code, *args], env=e, check=True, capture_output=True,
                                  text=True, cwd=tmp).stdout

        run("import callmem", beside)  # compiles the package's bytecode, as pip install does
        imports, stdlib = [], []
        for _ in range(a.imports):  # alternating, so that load falls on both alike
            imports.append(float(run(IMPORT, beside)))
            stdlib.append(float(run(IMPORT.replace("import callmem", STDLIB), beside)))
        print(f"import callmem: median {median(imports):.1f} ms, max {max(imports):.1f} ms; of which the "
              f"standard library modules it uses ({STDLIB[7:]}) alone: median {median(stdlib):.1f} ms "
              f"({a.imports} fresh interpreters each)")

        cases = [
            ("beside the package, loaded in each worker", beside, "cold", None),
            ("beside the package, loaded and warmed before the fork", beside, "warmed", None),
            ("LD_LIBRARY_PATH (the loader), loaded in each worker", plain, "cold", {"LD_LIBRARY_PATH": a.build}),
        ]
        for label, where, mode, extra in cases:
            db = str(Path(tmp) / f"{mode}-{where.name}.db")
            run("import callmem; callmem.CallMemory(__import__('sys').argv[1]).close()", where, db, extra=extra)
            got = json.loads(run(FORK, where, mode, db, str(a.workers), extra=extra))
            opens = [o for o, _ in got]
            firsts = [s for _, s in got]
            print(f"{label}: open median {median(opens):.1f} ms, max {max(opens):.1f} ms; "
                  f"first start_call median {median(firsts):.1f} ms, max {max(firsts):.1f} ms ({a.workers} workers)")

        code = ("import time, ctypes.util; t = time.perf_counter(); ctypes.util.find_library('callmem'); "
                "print((time.perf_counter() - t) * 1000)")
        finds = [float(run(code, beside)) for _ in range(3)]
        print(f"ctypes.util.find_library('callmem') (no longer run when the library is found first): "
              f"median {median(finds):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
