#!/usr/bin/env python3
"""The Python side of the bindings overhead benchmark (bench/bindings/run): N
CallMemory.start_call calls on a fresh temporary database, each from a new
number, with the same requests as capi_loop.c, given as dicts (the binding
encodes them and decodes each answer, as a Python host's call would). Requests
are built before timing; each call is timed alone. Prints the median and p90 in
microseconds.

    CALLMEM_LIBRARY=build/libcallmem.so python3 bench/bindings/python_loop.py [N] [--json]
"""

import json
import os
import sys
import tempfile
import time

import callmem


def main(argv):
    n = next((int(a) for a in argv if a.isdigit()), 2000)
    as_json = "--json" in argv
    requests = [
        {"call_id": f"call-{i}", "identity_hints": {"ani": f"+1415{2000000 + i:07d}"},
         "telco": {"line_type": "mobile"}}
        for i in range(n)
    ]
    us = [0.0] * n
    clock = time.perf_counter_ns
    with tempfile.TemporaryDirectory(prefix="callmem-bench-python-") as tmp:
        with callmem.CallMemory(os.path.join(tmp, "bench.db")) as memory:
            start_call = memory.start_call
            for i, request in enumerate(requests):
                t0 = clock()
                start_call("bench", request)
                us[i] = (clock() - t0) / 1000
    us.sort()
    median, p90 = us[n // 2], us[n * 9 // 10]
    if as_json:
        print(json.dumps({"side": "python", "n": n, "median_us": median, "p90_us": p90}))
    else:
        print(f"python start_call: n={n} median {median:.1f} us, p90 {p90:.1f} us")


if __name__ == "__main__":
    main(sys.argv[1:])
