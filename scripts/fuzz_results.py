#!/usr/bin/python3
"""The results lines of scripts/fuzz.sh (scripts/results/fuzz.json, one JSON object a line).

  fuzz_results.py line TARGET SECONDS TIME_FILE LOG FINDINGS COMMIT CORPUS_FILES
      prints one run's line: CPU seconds from bash's `time` (user, system), executions and
      coverage (cov, ft) from libFuzzer's final stats in LOG
  fuzz_results.py summary [RESULTS]
      per target, over every line so far (runs may span sessions and machines): runs, seconds,
      CPU seconds, CPU seconds since the last run with a finding (the fixed code's), executions,
      the highest cov and ft, findings
"""
import datetime
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine_info import machine  # noqa: E402


def run_line(target, seconds, time_file, log, findings, commit, corpus_files):
    with open(time_file) as f:
        fields = f.read().split()
    cpu = sum(float(x) for x in fields[-2:]) if len(fields) >= 2 else None
    with open(log, errors="replace") as f:
        text = f.read()
    execs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
    rss = re.findall(r"stat::peak_rss_mb:\s*(\d+)", text)
    cov = re.findall(r"\bcov: (\d+) ft: (\d+)", text)
    line = {
        "target": target,
        "seconds": int(seconds),
        "cpu_seconds": round(cpu, 1) if cpu is not None else None,
        "executions": int(execs[-1]) if execs else None,
        "cov": int(cov[-1][0]) if cov else None,
        "ft": int(cov[-1][1]) if cov else None,
        "corpus_files": int(corpus_files),
        "peak_rss_mb": int(rss[-1]) if rss else None,
        "findings": int(findings),
        "machine": machine(),
        "commit": commit,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    print(json.dumps(line, separators=(",", ":")))


def summary(path):
    totals = {}
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                r = json.loads(raw)
            except ValueError as e:
                sys.exit(f"{path}:{n}: not JSON: {e}")
            t = totals.setdefault(r["target"], {"runs": 0, "seconds": 0, "cpu_seconds": 0.0,
                                                "executions": 0, "cov": 0, "ft": 0, "findings": 0,
                                                "clean_cpu_seconds": 0.0})
            t["runs"] += 1
            # CPU time since the last run with a finding: the runs of the code after its fix.
            if r.get("findings"):
                t["clean_cpu_seconds"] = 0.0
            else:
                t["clean_cpu_seconds"] += r.get("cpu_seconds") or 0
            t["seconds"] += r.get("seconds") or 0
            t["cpu_seconds"] += r.get("cpu_seconds") or 0
            t["executions"] += r.get("executions") or 0
            t["cov"] = max(t["cov"], r.get("cov") or 0)
            t["ft"] = max(t["ft"], r.get("ft") or 0)
            t["findings"] += r.get("findings") or 0
    # clean_cpu_s: CPU seconds since the target's last finding (all of them when it had none).
    print(f"{'target':20} {'runs':>4} {'seconds':>8} {'cpu_s':>8} {'clean_cpu_s':>11} "
          f"{'executions':>12} {'cov':>6} {'ft':>7} {'findings':>8}")
    for name in sorted(totals):
        t = totals[name]
        print(f"{name:20} {t['runs']:4} {t['seconds']:8} {t['cpu_seconds']:8.0f} "
              f"{t['clean_cpu_seconds']:11.0f} {t['executions']:12} {t['cov']:6} {t['ft']:7} "
              f"{t['findings']:8}")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "line" and len(sys.argv) == 9:
        run_line(*sys.argv[2:])
    elif len(sys.argv) in (2, 3) and sys.argv[1] == "summary":
        summary(sys.argv[2] if len(sys.argv) == 3 else os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "results", "fuzz.json"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
