"""The machine a results line was measured on, one definition for every results writer
(bench_harness.py, train_results.py, fuzz_results.py): CPU model, core count, memory, kernel."""
import os
import platform
import re
import subprocess


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"^Model name:\s*(.+)$", out, re.M)
        if m:
            return m.group(1).strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_gb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine():
    """{"cpu", "cores", "memory_gb", "kernel"} of this machine."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "memory_gb": mem_total_gb(),
            "kernel": platform.release()}
