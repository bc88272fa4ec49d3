#!/usr/bin/env python3
"""Run a command and report its wall time and peak memory, polling
/proc/PID/status every 10 ms: peak RssAnon (the anonymous memory a run's
--max-memory bounds), peak RssFile (file pages it maps, such as a .npy read
through mmap; the kernel can drop them at any time) and VmHWM (the peak of
both together, what /usr/bin/time reports as maximum resident set size).

    python3 bench/peakmem.py OUT.json -- hardneg mine ...

Writes {"wall_seconds", "peak_rss_anon_kib", "peak_rss_file_kib",
"vm_hwm_kib", "exit_code"} to OUT.json and passes the command's output
through. Linux only.
"""
import json
import subprocess
import sys
import time


def status(pid):
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("RssAnon", "RssFile", "VmHWM"):
                    fields[k] = int(v.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields


def main():
    out, sep, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert sep == "--" and cmd, __doc__
    start = time.perf_counter()
    p = subprocess.Popen(cmd)
    peak = {"RssAnon": 0, "RssFile": 0, "VmHWM": 0}
    while p.poll() is None:
        s = status(p.pid)
        if s:
            for k, v in s.items():
                peak[k] = max(peak[k], v)
        time.sleep(0.01)
    wall = time.perf_counter() - start
    res = {"wall_seconds": round(wall, 3), "peak_rss_anon_kib": peak["RssAnon"], "peak_rss_file_kib": peak["RssFile"],
           "vm_hwm_kib": peak["VmHWM"], "exit_code": p.returncode}
    with open(out, "w") as f:
        json.dump(res, f)
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
