#!/usr/bin/python3
"""Side-by-side timing of segx and a peer tool: alternating runs, medians, one results file.

  bench_harness.py --bench NAME --out RESULTS.json [--repeats N] [--threads T] [--data TEXT]
                   [--peers-missing REASON]
                   --job NAME --segx CMD [--peer NAME CMD] [--floor NAME CMD] [--metric REGEX]
                   [--note TEXT]  [--job ...]

Each --job is one row: the segx command, optionally a peer (ratio = peer / segx, "x faster")
and/or a floor (ratio = segx / floor, "x the floor": a pass doing less than the job, such as
decoding the PNGs only). A CMD is one shell-quoted string, split with shlex and run without a
shell (`env K=V cmd ...` for environment), stdout and stderr to a log file in --log-dir; a
command that exits non-zero aborts the benchmark. The same CMD string given in two jobs is run
once per repeat and shared. --metric (after a CMD) takes the time from that command's stdout
instead of the whole process's wall time: group 1 of the regex's last match, in seconds (for
tools that time their own inner loop, such as a model forward).

Measurements (stdlib only):
- wall: time.perf_counter() from fork to wait4() returning, so start-up and loading included.
- peak RSS: the larger of (a) ru_maxrss of the command as wait4() reports it (through GNU
  /usr/bin/time's %M, which forks the command from a small process: Linux keeps a peak across
  execve, so a command forked straight from Python would start at Python's size): the largest
  single process of the command's tree (the children that the command and its descendants
  waited for are included, e.g. the workers of panopticapi's multiprocessing pool), and (b) the peak over time of the sum
  of the RSS of the child and all its live descendants, sampled every 50 ms from /proc (counts
  memory shared between forked workers once per process). For a single process (segx uses
  threads) both are the same figure.
- Every repeat runs every command once, in an order that reverses from one repeat to the next
  (segx, peer, ... then ..., peer, segx), so load from other work on a shared machine falls on
  both sides alike. Medians over the repeats are reported; all samples are kept in the file.

With --peers-missing REASON (the peer tools are not set up) peer commands are not run, the file
records the reason and no ratio is written: the segx side only.

The results file holds the machine (CPU model, cores, load average), the UTC date, the git commit
and whether the working tree differed from it (scripts/results/ and README.md excluded, as those
are outputs), repeats, threads and the data description. scripts/gen-readme-tables.py renders
the README's performance table from these files.
"""
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine_info import cpu_model, mem_total_gb  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_S = 0.05


def usage(msg):
    sys.stderr.write(f"bench_harness: {msg}\n(see {sys.argv[0]} --help)\n")
    sys.exit(64)


def parse(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    opts = {"repeats": 5, "threads": None, "data": "", "peers_missing": None,
            "log_dir": None, "bench": None, "out": None}
    jobs = []
    last_cmd = None
    i = 0

    def take(n):
        nonlocal i
        vals = argv[i + 1:i + 1 + n]
        if len(vals) != n:
            usage(f"{argv[i]} needs {n} argument(s)")
        i += 1 + n
        return vals

    while i < len(argv):
        a = argv[i]
        if a in ("--bench", "--out", "--data", "--peers-missing", "--log-dir"):
            opts[a[2:].replace("-", "_")] = take(1)[0]
        elif a in ("--repeats", "--threads"):
            v = take(1)[0]
            if not v.isdigit() or int(v) < 1:
                usage(f"{a} wants a positive integer, not '{v}'")
            opts[a[2:]] = int(v)
        elif a == "--job":
            jobs.append({"job": take(1)[0], "segx": None, "peer": None, "floor": None, "note": None})
            last_cmd = None
        elif a in ("--segx", "--peer", "--floor", "--metric", "--note"):
            if not jobs:
                usage(f"{a} before the first --job")
            job = jobs[-1]
            if a == "--segx":
                last_cmd = job["segx"] = {"name": "segx", "cmd": take(1)[0], "metric": None}
            elif a in ("--peer", "--floor"):
                name, cmd = take(2)
                last_cmd = job[a[2:]] = {"name": name, "cmd": cmd, "metric": None}
            elif a == "--metric":
                if last_cmd is None:
                    usage("--metric before a command")
                last_cmd["metric"] = take(1)[0]
            else:
                job["note"] = take(1)[0]
        else:
            usage(f"unknown argument '{a}'")
    if not opts["bench"] or not opts["out"]:
        usage("--bench and --out are required")
    if not jobs:
        usage("no --job given")
    for j in jobs:
        if not j["segx"]:
            usage(f"job '{j['job']}' has no --segx command")
    return opts, jobs


def git(*args):
    r = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def commit_info():
    head = git("rev-parse", "--short=12", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                 ":(exclude)scripts/results", ":(exclude)README.md")
    return head or "unknown", bool(status) if status is not None else None


def tree_rss_kb(root_pid, skip_root):
    """Sum of RSS over root_pid's live descendants (and root_pid unless skip_root)."""
    parent, rss = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            # comm may hold spaces: fields after the last ')'
            fields = stat[stat.rindex(")") + 2:].split()
            pid = int(name)
            parent[pid] = int(fields[1])
            rss[pid] = int(fields[21]) * PAGE_KB
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root_pid]
    children = {}
    for pid, pp in parent.items():
        children.setdefault(pp, []).append(pid)
    seen = set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        if p != root_pid or not skip_root:
            total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
# Linux keeps a process's peak RSS across execve, so a child forked from this Python process
# starts with Python's ~12 MB as its peak. GNU time (a small C program) forks the command
# afresh and reports that process tree's ru_maxrss (%M) instead.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_once(spec, log_path):
    argv = shlex.split(spec["cmd"])
    rss_file = log_path + ".maxrss"
    if os.path.exists(rss_file):
        os.remove(rss_file)
    if GNU_TIME:
        argv = [GNU_TIME, "-f", "%M", "-o", rss_file, *argv]
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as e:
            sys.stderr.write(f"bench_harness: cannot run '{argv[0]}': {e.strerror}\n")
            sys.exit(69)
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.wait(SAMPLE_S):
                try:
                    peak[0] = max(peak[0], tree_rss_kb(proc.pid, skip_root=bool(GNU_TIME)))
                except Exception:
                    pass

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        th.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        with open(log_path, errors="replace") as f:
            tail = f.read()[-2000:]
        sys.stderr.write(f"bench_harness: '{spec['cmd']}' exited {proc.returncode}; its output ends:\n{tail}\n")
        sys.exit(70)
    if spec["metric"]:
        with open(log_path, errors="replace") as f:
            hits = re.findall(spec["metric"], f.read())
        if not hits:
            sys.stderr.write(f"bench_harness: no match of /{spec['metric']}/ in the output of '{spec['cmd']}' ({log_path})\n")
            sys.exit(70)
        last = hits[-1]
        wall = float(last[0] if isinstance(last, tuple) else last)
    if GNU_TIME:
        with open(rss_file) as f:
            maxrss = int(f.read().split()[-1])
    else:
        maxrss = ru.ru_maxrss
    rss_kb = max(maxrss, peak[0])
    return wall, rss_kb


def main():
    opts, jobs = parse(sys.argv[1:])
    peers = opts["peers_missing"] is None
    log_dir = opts["log_dir"] or os.path.join(os.environ.get("TMPDIR", "/tmp"), f"segx-bench-{opts['bench']}-logs")
    os.makedirs(log_dir, exist_ok=True)
    # distinct commands, in first-seen order
    cmds = []
    for j in jobs:
        for role in ("segx", "peer", "floor"):
            spec = j[role]
            if spec is None or (role == "peer" and not peers):
                continue
            if not any(c["cmd"] == spec["cmd"] and c["metric"] == spec["metric"] for c in cmds):
                cmds.append(spec)
    samples = {id(c): [] for c in cmds}
    head, dirty = commit_info()
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load_before = list(os.getloadavg())
    print(f"# {opts['bench']}: {date}, commit {head}{' (dirty)' if dirty else ''}, "
          f"{cpu_model()}, {os.cpu_count()} cores, load {load_before[0]:.2f}, "
          f"threads {opts['threads']}, {opts['repeats']} repeats", flush=True)
    if not peers:
        print(f"# peers not set up: {opts['peers_missing']}; segx side only, no ratio", flush=True)
    for r in range(opts["repeats"]):
        order = cmds if r % 2 == 0 else list(reversed(cmds))
        for k, c in enumerate(order):
            log = os.path.join(log_dir, f"cmd{cmds.index(c)}.log")
            wall, rss = run_once(c, log)
            samples[id(c)].append((wall, rss))
            print(f"  [{r + 1}/{opts['repeats']}] {c['name']}: {wall:.3f} s, {rss / 1024:.0f} MB  ({c['cmd'][:90]})",
                  flush=True)

    def summary(spec):
        if spec is None:
            return None
        same = [c for c in cmds if c["cmd"] == spec["cmd"] and c["metric"] == spec["metric"]]
        if not same:
            return None
        s = samples[id(same[0])]
        walls = [w for w, _ in s]
        rsss = [m for _, m in s]
        return {"name": spec["name"], "command": spec["cmd"], "time_from": "output" if spec["metric"] else "wall",
                "wall_s": round(statistics.median(walls), 4),
                "rss_mb": round(statistics.median(rsss) / 1024, 1),
                "wall_s_all": [round(w, 4) for w in walls],
                "rss_mb_all": [round(m / 1024, 1) for m in rsss]}

    records = []
    for j in jobs:
        seg = summary(j["segx"])
        peer = summary(j["peer"]) if peers else None
        floor = summary(j["floor"])
        rec = {"job": j["job"], "segx": seg, "peer": peer, "floor": floor,
               "peer_name": j["peer"]["name"] if j["peer"] else None,
               "ratio": round(peer["wall_s"] / seg["wall_s"], 2) if peer and seg["wall_s"] > 0 else None,
               "floor_ratio": round(seg["wall_s"] / floor["wall_s"], 2) if floor and floor["wall_s"] > 0 else None,
               "note": j["note"]}
        records.append(rec)
    load_after = list(os.getloadavg())
    result = {
        "bench": opts["bench"], "schema": 1, "date": date,
        "commit": head, "dirty": dirty,
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "memory_gb": mem_total_gb(),
                    "kernel": platform.release(),
                    "load_avg_before": [round(x, 2) for x in load_before],
                    "load_avg_after": [round(x, 2) for x in load_after]},
        "repeats": opts["repeats"], "threads": opts["threads"], "data": opts["data"],
        "peers": "set up" if peers else f"not set up: {opts['peers_missing']}",
        "measure": "median wall (perf_counter, fork to wait4) and median peak RSS (max of wait4 "
                   "ru_maxrss and the sampled sum over the process tree) over alternating repeats",
        "jobs": records,
    }
    os.makedirs(os.path.dirname(os.path.abspath(opts["out"])), exist_ok=True)
    tmp = opts["out"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    os.replace(tmp, opts["out"])
    print(f"# medians of {opts['repeats']}:")
    for rec in records:
        s = rec["segx"]
        line = f"{rec['job']}: segx {s['wall_s']:.3f} s, {s['rss_mb']:.0f} MB"
        if rec["floor"]:
            f_ = rec["floor"]
            line += f"; {f_['name']} {f_['wall_s']:.3f} s ({rec['floor_ratio']:.2f}x the floor)"
        if rec["peer"]:
            p = rec["peer"]
            line += f"; {p['name']} {p['wall_s']:.3f} s, {p['rss_mb']:.0f} MB ({rec['ratio']:.1f}x faster)"
        elif rec["peer_name"]:
            line += f"; {rec['peer_name']}: not run (peers not set up), no ratio"
        print(line)
    print(f"# results in {opts['out']}")


if __name__ == "__main__":
    main()
