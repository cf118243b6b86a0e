#!/usr/bin/env python3
"""`make bench`: this service side by side with the stack it replaces.

Against one throwaway database (seeded with the medium profile) and one row,
in turn:
  * pgbench on GetUser's SELECT, prepared (-M prepared): the database alone;
  * the Go peer (tests/bench/go_peer: grpc-go + pgx v4 pool, sqlc-style);
  * this service (build/server/defifundr-data serve) with its standard
    methods' statements through the pool only (DB_PIPELINE_CONNECTIONS=0),
    then with its defaults (the statement pipeline).
The gRPC servers are driven by build/tests/bench/defifundr_loadgen, which
checks every answer (an error or a wrong row is counted, never as a success).

Prints one table: throughput per method and client count, p50/p99 latency at
half the peak rate, the servers' resident memory, and the ratios to the Go
peer and to pgbench. Then the service's transactional RPCs and ListUsers with
1,000 rows per page.

Environment (all optional):
  BENCH_SECONDS   measured seconds per run (default 5)
  BENCH_WARMUP    warm-up seconds per run (default 1)
  BENCH_CLIENTS   client counts (default "1 16 64 256")
  BENCH_SIZE      seed profile (default medium)
  BENCH_JSON      also write every run's result to this file (JSON lines)
  BENCH_PIPELINE_CONNECTIONS  DB_PIPELINE_CONNECTIONS of the default run
                  (default 2)
Exits non-zero if a contender fails to start or any run saw an error.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "1"))
CLIENTS = [int(c) for c in os.environ.get("BENCH_CLIENTS", "1 16 64 256").split()]
SIZE = os.environ.get("BENCH_SIZE", "medium")
JSON_OUT = os.environ.get("BENCH_JSON", "")
PIPELINE_CONNECTIONS = os.environ.get("BENCH_PIPELINE_CONNECTIONS", "2")
SERVER_BIN = os.path.join(BUILD, "server", "defifundr-data")
LOADGEN = os.path.join(BUILD, "tests", "bench", "defifundr_loadgen")
# pgbench needs a database connection per client: the local PostgreSQL
# allows 200 (scripts/pg.sh).
PGBENCH_MAX_CLIENTS = 180
LATENCY_CLIENTS = 16

GET_USER_SQL = """SELECT id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    created_at, updated_at
FROM users
WHERE id = :uid;
"""

results = []
failures = []


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def pg_url(db):
    return subprocess.check_output([os.path.join(ROOT, "scripts", "pg.sh"), "url", db],
                                   text=True).strip()


def psql(url, sql):
    return subprocess.check_output(
        ["psql", url, "-qtAX", "-c", sql], text=True,
        env={**os.environ, "PGOPTIONS": "--client-min-messages=warning"}).strip()


def record(result):
    results.append(result)
    if JSON_OUT:
        with open(JSON_OUT, "a") as f:
            f.write(json.dumps(result) + "\n")
    if result.get("errors"):
        failures.append(f"{result['contender']} {result['method']} x{result['clients']}: "
                        f"{result['errors']} errors, first: {result['first_error']}")


def rss_kib(pid):
    """(current, peak) resident memory of `pid` in KiB."""
    current = peak = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    return current, peak


class Server:
    """A gRPC server process whose port is read from its output."""

    def __init__(self, name, argv, env, port_re, log_path):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        self.port = None
        while time.time() < deadline and self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{open(log_path).read()}")
            m = re.search(port_re, open(log_path).read())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.1)
        if self.port is None:
            raise RuntimeError(f"{name}: no port after 60 s:\n{open(log_path).read()}")
        self.target = f"127.0.0.1:{self.port}"

    def stop(self):
        rss = rss_kib(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return rss


def loadgen(target, method, clients, rate=0, extra=()):
    argv = [LOADGEN, f"--target={target}", f"--method={method}", f"--clients={clients}",
            f"--seconds={SECONDS}", f"--warmup_seconds={WARMUP}", f"--rate={rate}", *extra]
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0:
        how = (f"loadgen died of signal {-out.returncode}" if out.returncode < 0
               else f"loadgen exited with {out.returncode}")
        return {"method": method, "clients": clients, "ok": 0, "errors": 1,
                "first_error": f"{how}: {out.stderr.strip()[-300:]}", "rps": 0, "p50_us": 0,
                "p99_us": 0, "max_us": 0}
    return json.loads(out.stdout.strip().splitlines()[-1])


def pgbench(url, user_id, clients, workdir):
    script = os.path.join(workdir, "get_user.sql")
    with open(script, "w") as f:
        f.write(GET_USER_SQL)
    c = min(clients, PGBENCH_MAX_CLIENTS)
    argv = ["pgbench", "-n", "-M", "prepared", "-c", str(c), "-j", str(min(c, 2)),
            "-T", str(max(1, round(SECONDS + WARMUP))), "-D", f"uid={user_id}", "-f", script,
            url]
    out = subprocess.run(argv, capture_output=True, text=True)
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout)
    failed = re.search(r"number of failed transactions: ([0-9]+)", out.stdout)
    errors = 0 if out.returncode == 0 else 1
    if failed:
        errors += int(failed.group(1))
    return {"method": "GetUser", "clients": clients, "pgbench_clients": c,
            "ok": 0, "errors": errors, "first_error": out.stderr.strip()[-300:] if errors else "",
            "rps": float(m.group(1)) if m else 0, "p50_us": 0, "p99_us": 0, "max_us": 0}


def run_grpc(contender, server, user_id, methods):
    for method, extra in methods:
        for clients in CLIENTS:
            r = loadgen(server.target, method, clients, extra=extra)
            r.update(contender=contender, kind="throughput", label=label(method, extra))
            record(r)
            log(f"{contender:7} {r['label']:16} x{clients:<3} {r['rps']:8.0f}/s "
                f"errors {r['errors']}")
        # p50/p99 at half the peak rate.
        peak = max(x["rps"] for x in results
                   if x["contender"] == contender and x["label"] == label(method, extra)
                   and x["kind"] == "throughput")
        if peak > 0:
            r = loadgen(server.target, method, LATENCY_CLIENTS, rate=peak / 2, extra=extra)
            r.update(contender=contender, kind="latency", label=label(method, extra))
            record(r)
            log(f"{contender:7} {r['label']:16} at {peak / 2:.0f}/s: p50 {r['p50_us']} us, "
                f"p99 {r['p99_us']} us, max {r['max_us']} us")


def label(method, extra):
    if method == "ListUsers":
        size = next((e.split("=")[1] for e in extra if e.startswith("--page_size=")), "50")
        return f"ListUsers({size})"
    return method


def table(server_rss):
    def rps(contender, lbl, clients, kind="throughput"):
        for r in results:
            if (r["contender"], r["label"], r["clients"], r["kind"]) == (contender, lbl, clients,
                                                                          kind):
                return r
        return None

    lines = []
    lines.append(f"make bench: {SECONDS:g} s measured (+{WARMUP:g} s warm-up) per run, "
                 f"seed profile {SIZE}, one row; load average at start "
                 f"{os.getloadavg()[0] if not START_LOAD else START_LOAD:.2f}")
    lines.append("")
    lines.append("Throughput (ok calls/s; every answer checked):")
    lines.append("")
    lines.append("| method | clients | pgbench | Go peer | this service | / Go | / pgbench "
                 "| pool only | / Go |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for lbl in ["GetUser", "ListUsers(50)", "CreateSession"]:
        for c in CLIENTS:
            pg = rps("pgbench", lbl, c) if lbl == "GetUser" else None
            go = rps("go", lbl, c)
            us = rps("service", lbl, c)
            pg_text = "-"
            if pg:
                pg_text = f"{pg['rps']:.0f}"
                if pg.get("pgbench_clients", c) != c:
                    pg_text += f" ({pg['pgbench_clients']} clients)"
            go_text = f"{go['rps']:.0f}" if go else "-"
            us_text = f"{us['rps']:.0f}" if us else "-"
            ratio_go = f"{us['rps'] / go['rps']:.2f}x" if us and go and go["rps"] else "-"
            ratio_pg = f"{us['rps'] / pg['rps']:.2f}x" if us and pg and pg["rps"] else "-"
            pp = rps("pooled", lbl, c)
            pp_text = f"{pp['rps']:.0f}" if pp else "-"
            ratio_pp = f"{pp['rps'] / go['rps']:.2f}x" if pp and go and go["rps"] else "-"
            lines.append(f"| {lbl} | {c} | {pg_text} | {go_text} | {us_text} | {ratio_go} | "
                         f"{ratio_pg} | {pp_text} | {ratio_pp} |")
    lines.append("")
    lines.append(f"Latency at half the peak rate ({LATENCY_CLIENTS} clients, open loop; "
                 "microseconds):")
    lines.append("")
    lines.append("| method | contender | rate/s | p50 | p99 | max |")
    lines.append("|---|---|---|---|---|---|")
    for lbl in ["GetUser", "ListUsers(50)", "CreateSession"]:
        for contender in ["go", "service", "pooled"]:
            r = rps(contender, lbl, LATENCY_CLIENTS, "latency")
            if r:
                lines.append(f"| {lbl} | {NAMES[contender]} | {r['rate']:.0f} | {r['p50_us']} | "
                             f"{r['p99_us']} | {r['max_us']} |")
    lines.append("")
    lines.append("Longest call under load (closed loop, any client count):")
    lines.append("")
    for contender in ["go", "service", "pooled"]:
        worst = max((r["max_us"] for r in results
                     if r["contender"] == contender and r["kind"] == "throughput"), default=0)
        lines.append(f"- {NAMES[contender]}: {worst / 1000:.1f} ms")
    lines.append("")
    lines.append("Server resident memory after the run (current / peak):")
    lines.append("")
    for contender, (cur, peak) in server_rss.items():
        lines.append(f"- {NAMES[contender]}: {cur / 1024:.1f} MiB / {peak / 1024:.1f} MiB")
    lines.append("")
    lines.append(f"This service only ({LATENCY_CLIENTS} clients, closed loop):")
    lines.append("")
    lines.append("| method | calls/s | p50 us | p99 us | max us |")
    lines.append("|---|---|---|---|---|")
    for r in results:
        if r["kind"] == "extra":
            lines.append(f"| {r['label']} | {r['rps']:.0f} | {r['p50_us']} | {r['p99_us']} | "
                         f"{r['max_us']} |")
    return "\n".join(lines)


NAMES = {"pgbench": "pgbench", "go": "Go peer", "service": "this service",
         "pooled": "this service, pool only"}
START_LOAD = None


def main():
    global START_LOAD
    START_LOAD = os.getloadavg()[0]
    workdir = os.path.join(BUILD, "bench")
    os.makedirs(workdir, exist_ok=True)
    if JSON_OUT and os.path.exists(JSON_OUT):
        os.remove(JSON_OUT)
    admin = pg_url("postgres")
    db = "defifundr_bench"
    psql(admin, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(admin, f"CREATE DATABASE {db}")
    # A throwaway database: seed may empty it (db/seed/seeder.h).
    psql(admin, f"COMMENT ON DATABASE {db} IS "
                "'defifundr-data throwaway database: seed may empty its tables'")
    url = pg_url(db)
    env = {"DATABASE_URL": url}
    subprocess.run([SERVER_BIN, "migrate", "up"], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([SERVER_BIN, "seed", f"--size={SIZE}"], env={**os.environ, **env},
                   check=True, stdout=subprocess.DEVNULL)
    user_id = psql(url, "SELECT id FROM users ORDER BY created_at, id LIMIT 1")
    log(f"database {db} seeded ({SIZE}); the row: users.id = {user_id}")
    go_bin = subprocess.check_output(["bash", os.path.join(ROOT, "scripts", "bench_go_peer.sh")],
                                     text=True).strip().splitlines()[-1]
    common = [("GetUser", [f"--user_id={user_id}"]),
              ("ListUsers", ["--page_size=50"]),
              ("CreateSession", [f"--user_id={user_id}"])]
    server_rss = {}

    for c in CLIENTS:
        r = pgbench(url, user_id, c, workdir)
        r.update(contender="pgbench", kind="throughput", label="GetUser")
        record(r)
        log(f"pgbench GetUser          x{c:<3} {r['rps']:8.0f}/s")

    go = Server("go", [go_bin, "-listen=127.0.0.1:0", f"-database_url={url}", "-pool_size=10"],
                {}, r"listening on 127\.0\.0\.1:([0-9]+)", os.path.join(workdir, "go_peer.log"))
    try:
        run_grpc("go", go, user_id, common)
    finally:
        server_rss["go"] = go.stop()

    # The service with its standard methods' statements through the pool
    # (DB_PIPELINE_CONNECTIONS=0), then with its defaults (the pipeline).
    pooled = Server("pooled", [SERVER_BIN, "serve"],
                    {"DATABASE_URL": url, "GRPC_LISTEN": "127.0.0.1:0", "METRICS_LISTEN": "",
                     "DB_PIPELINE_CONNECTIONS": "0"},
                    r"port=([0-9]+)", os.path.join(workdir, "service_pooled.log"))
    try:
        run_grpc("pooled", pooled, user_id, common)
    finally:
        server_rss["pooled"] = pooled.stop()

    ours = Server("service", [SERVER_BIN, "serve"],
                  {"DATABASE_URL": url, "GRPC_LISTEN": "127.0.0.1:0", "METRICS_LISTEN": "",
                   "DB_PIPELINE_CONNECTIONS": PIPELINE_CONNECTIONS},
                  r"port=([0-9]+)", os.path.join(workdir, "service.log"))
    try:
        run_grpc("service", ours, user_id, common)
        for method, extra in [("RegisterUser", []), ("VerifyOtp", []),
                              ("ListUsers", ["--page_size=1000"])]:
            r = loadgen(ours.target, method, LATENCY_CLIENTS, extra=extra)
            r.update(contender="service", kind="extra", label=label(method, extra))
            record(r)
            log(f"service {r['label']:16} x{LATENCY_CLIENTS:<3} {r['rps']:8.0f}/s "
                f"errors {r['errors']}")
    finally:
        server_rss["service"] = ours.stop()

    print(table(server_rss))
    psql(admin, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    if failures:
        print("\nErrors:\n" + "\n".join(f"- {f}" for f in failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
