#!/usr/bin/env python3
"""Turn results/<stamp>/raw.jsonl into the RESULTS.md markdown (stdout).

Usage: summarize.py results/<stamp>
"""

import json
import os
import statistics
import sys


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def ncpu():
    return os.cpu_count() or 0


def load(outdir):
    recs = []
    with open(os.path.join(outdir, "raw.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    try:
        with open(os.path.join(outdir, "broker.json")) as f:
            broker = json.load(f)
    except OSError:
        broker = {}
    return recs, broker


def group_key(r):
    t = r.get("test")
    if t == "publish":
        return (t, r.get("n_requested"), r.get("size"), r.get("run"))
    if t == "validate":
        return (t, r.get("iterations"), r.get("size"), r.get("run"))
    return (t, r.get("n"), r.get("size"), r.get("run"))


def choose(recs):
    """One record per (test, params, run): the accepted attempt, else the least disturbed.
    Returns (chosen records in original order, number of rejected attempts per test)."""
    groups = {}
    for i, r in enumerate(recs):
        groups.setdefault(group_key(r), []).append((i, r))
    keep = []
    rejected = {}
    for k, items in groups.items():
        if k[0] in ("prefill", "consume_rss") or all("disturbed" not in r for _, r in items):
            keep.extend(items)
            continue
        ok = [(i, r) for i, r in items if not r.get("disturbed")]
        pick = ok[-1] if ok else min(items, key=lambda ir: ir[1]["other_frac"] + ir[1]["steal_frac"])
        keep.append(pick)
        rejected[k[0]] = rejected.get(k[0], 0) + len(items) - 1
    keep.sort()
    return [r for _, r in keep], rejected


def fmt(v):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def main(argv):
    outdir = argv[1]
    all_recs, broker = load(outdir)
    recs, rejected = choose(all_recs)
    rmq = f"{broker.get('product', 'RabbitMQ')} {broker.get('version', '?')}"
    cpu = cpu_model()
    versions = next((r["versions"] for r in recs if "versions" in r), {})

    def sel(test, **kw):
        return [r for r in recs if r.get("test") == test and all(r.get(k) == v for k, v in kw.items())]

    def day(rs):
        ds = sorted({r.get("date", "")[:10] for r in rs if r.get("date")})
        return ds[0] if len(ds) == 1 else (f"{ds[0]}..{ds[-1]}" if ds else "?")

    rows = []

    def add(test, params, metric, rs, key, scale=1.0):
        vals = [r[key] * scale for r in rs if r.get(key) is not None]
        if not vals:
            return
        rows.append((test, params, metric, statistics.median(vals), min(vals), max(vals), len(vals), day(rs)))

    for size in sorted({r["size"] for r in sel("publish")}):
        rs = sel("publish", size=size)
        n = rs[0]["n"]
        p = f"N={n}, SIZE={size} B (body {rs[0]['body_bytes']} B), warmup {rs[0]['warmup']}"
        add("1. publish", p, "throughput, msgs/s", rs, "msgs_per_s")
        add("1. publish", p, "latency p50, ms", rs, "lat_p50_ms")
        add("1. publish", p, "latency p99, ms", rs, "lat_p99_ms")

    rs = sel("consume")
    if rs:
        pre = sel("prefill")
        size = pre[0]["size"] if pre else "?"
        p = f"N={rs[0]['n']}, SIZE={size} B, prefetch={rs[0]['prefetch_count']}"
        add("2. consume", p, "throughput incl. connect+declare, msgs/s", rs, "msgs_per_s")
        add("2. consume", p, "steady-state throughput (1st->Nth msg), msgs/s", rs, "steady_msgs_per_s")
        if any("timev_maxrss_kb" in r for r in rs):
            add("5. memory", p, "consumer peak RSS (/usr/bin/time -v), MiB", rs, "timev_maxrss_kb", 1 / 1024)
        else:  # older raw files
            add("5. memory", p, "consumer peak RSS (/usr/bin/time -v), MiB", sel("consume_rss"), "maxrss_kb",
                1 / 1024)

    rs = sel("validate")
    if rs:
        p = f"{rs[0]['iterations']} iterations, body {rs[0]['body_bytes']} B"
        add("3. validation", p, "BenchMessageV1(...).validate(), msgs/s", rs, "msgs_per_s")
        add("3. validation", p, ".validate() on one pre-built message, msgs/s", rs, "validate_only_msgs_per_s")
        add("3. validation (context)", p, "same 4 schemas, jsonschema validators built once, msgs/s", rs,
            "prebuilt_validators_msgs_per_s")

    rs = sel("serde")
    if rs:
        p = f"{rs[0]['n']} messages, body {rs[0]['body_bytes']} B"
        add("4. serialization", p, "message.dumps(list), msgs/s", rs, "dumps_msgs_per_s")
        add("4. serialization", p, "message.loads(text), msgs/s", rs, "loads_msgs_per_s")

    runs = sorted({r.get("run") for r in recs if r.get("run") is not None})
    pub = sel("publish")
    pub_n = pub[0]["n_requested"] if pub else 2000
    pub_w = pub[0]["warmup"] if pub else 20
    pub_sizes = " ".join(str(s) for s in sorted({r["size"] for r in pub})) or "200 4000"
    cons = sel("consume")
    cons_n = cons[0]["n"] if cons else 5000
    pre = sel("prefill")
    cons_size = pre[0]["size"] if pre else 200
    val = sel("validate")
    val_it = val[0]["iterations"] if val else 10000
    ser = sel("serde")
    ser_n = ser[0]["n"] if ser else 10000

    o = []
    w = o.append
    w("# fedora-messaging (Python) performance baseline")
    w("")
    n_att = sum(1 for r in all_recs if "attempt" in r)
    n_rej = sum(rejected.values())
    w(f"Generated by `summarize.py` from `{outdir}/raw.jsonl` "
      f"({len(runs)} runs of every test; median / min / max over the runs). "
      f"{n_att} timed attempts in all, {n_rej} repeated because other processes disturbed them "
      f"(see *Run conditions*).")
    w("")
    dist = [r for r in recs if r.get("disturbed")]
    if dist:
        w("**Caveat:** no undisturbed attempt was obtained for: " + "; ".join(
            f"{r['test']} " + (f"SIZE={r['size']} " if r.get("test") == "publish" else "")
            + f"run {r.get('run')} (best of {sum(1 for x in all_recs if group_key(x) == group_key(r))} attempts: "
            f"other procs {r['other_frac']:.0%} of a core, steal {r['steal_frac']:.0%} of CPU capacity)"
            for r in dist) + "; that run's number is probably pessimistic.")
        w("")
    w(f"- Library: fedora-messaging {versions.get('fedora-messaging')} (PyPI), pika {versions.get('pika')}, "
      f"jsonschema {versions.get('jsonschema')}, Twisted {versions.get('Twisted')}, "
      f"crochet {versions.get('crochet')}, CPython {versions.get('python')}")
    w(f"- Broker: {rmq} on 127.0.0.1:5672 (same host)")
    w(f"- CPU: {cpu} x {ncpu()} cores (shared by client and broker; VM, so expect noise)")
    w("")
    w("| test | params | metric | median | min | max | runs | date | RabbitMQ | CPU |")
    w("|---|---|---|---:|---:|---:|---:|---|---|---|")
    for t, p, m, med, lo, hi, k, d in rows:
        w(f"| {t} | {p} | {m} | {fmt(med)} | {fmt(lo)} | {fmt(hi)} | {k} | {d} | {rmq} | {cpu} |")
    w("")
    cond = [r for r in recs if "cpu" in r]
    if cond:
        w("### Run conditions (CPU time inside each timed window)")
        w("")
        w("*other procs* = busy CPU of the whole machine minus the benchmark process minus RabbitMQ "
          "(beam.smp): unrelated work that competed for the 2 cores (100 % = one core). The machine "
          "is shared with other sessions, so `run_all.sh` waits for a quiet machine before each "
          "timed attempt and repeats an attempt (MAX_ATTEMPTS=3 per invocation; runs still disturbed "
          "can be re-measured later with `APPEND_TO=`, attempt numbers then continue) when other processes took "
          "> 25 % of a core or hypervisor steal was > 10 % of CPU capacity; the table above uses the accepted attempt, "
          "or the least disturbed one when all 3 were disturbed (*disturbed* column = yes). "
          "Rejected attempts stay in raw.jsonl. Rejected attempts per test: "
          + (", ".join(f"{k} {v}" for k, v in sorted(rejected.items())) or "none") + ".")
        w("")
        w("| test | params | run | attempt | timed wall s | client CPU s | broker CPU s | other procs CPU s (% of 1 core) | steal s | disturbed |")
        w("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in cond:
            c = r["cpu"]
            t = r["test"]
            if t == "publish":
                p = f"N={r['n']}, SIZE={r['size']}"
            elif t == "consume":
                p = f"N={r['n']}"
            elif t == "validate":
                p = f"{r['iterations']} iter (construct+validate loop)"
            else:
                p = f"N={r['n']} (dumps+loads)"
            pct = 100.0 * c["other_cpu_s"] / c["wall_s"] if c["wall_s"] else 0.0
            w(f"| {t} | {p} | {r.get('run', '')} | {r.get('attempt', 1)} | {c['wall_s']:.1f} | "
              f"{c['self_cpu_s']:.1f} | {c['broker_cpu_s']:.1f} | {c['other_cpu_s']:.1f} ({pct:.0f} %) | "
              f"{c['steal_s']:.1f} | {'yes' if r.get('disturbed') else 'no'} |")
        w("")
    w("## How each number is measured")
    w("")
    w("All scripts live in this folder, use the venv `$FMBENCH_VENV` (default `~/.cache/fmbench-venv`) and the config "
      "`config.toml` (`FEDORA_MESSAGING_CONF`), and print one JSON line of results. "
      "The message class is `fmbench_schemas.BenchMessageV1` (a `Message` subclass with a "
      "draft-04 `body_schema`: 7 typed properties, a nested object, an array, a pattern, "
      "`required`), registered under the `fedora.messages` entry point by the small "
      "`fmbench_schemas/` package that `setup_venv.sh` installs (fedora-messaging refuses to "
      "publish unregistered classes, and consumers need the registration to pick the class "
      "and its schema). Bodies are JSON objects whose `json.dumps` encoding is exactly SIZE bytes "
      "(padding in a `payload` string).")
    w("")
    w("1. **publish** (`publish_bench.py N SIZE`): W=20 warm-up publishes (the first one opens "
      "the connection; not measured), then N sequential `fedora_messaging.api.publish()` calls to "
      "`amq.topic`, topic `bench.publish`, routed to durable queue `bench_publish` (bound `bench.#`). "
      "`api.publish` validates the message, publishes a persistent message (delivery_mode 2) and "
      "blocks until the publisher confirm. *msgs/s* = N / wall time of the loop (includes building "
      "each `Message`); *latency* = duration of each `api.publish()` call, nearest-rank p50/p99. "
      "The runner purges `bench_publish` before and after and checks it held exactly N+W messages.")
    w("2. **consume** (`prefill.py N SIZE`, then `consume_bench.py N`): the prefill publishes N "
      "messages with `api.publish` (topic `fmbench.consume` -> durable queue `bench_consume`) and "
      "checks the queue holds exactly N. The consumer process then calls `api.consume()` "
      "(declares queue + binding, qos prefetch_count=10, the library default) with a callback that "
      "counts, checks the message arrived as `BenchMessageV1` (so header lookup + body_schema "
      "validation ran), and raises `HaltConsumer` at N. Every message goes through the normal "
      "path: decode, jsonschema validation, callback in the Twisted thread pool, `basic.ack`, one "
      "message at a time. *incl. connect* = N / (call of `api.consume()` -> N-th callback); "
      "*steady-state* = (N-1) / (1st -> N-th callback). The queue is checked empty afterwards.")
    w("3. **validation** (`validate_bench.py ITER`): 200 warm-up iterations, then ITER x "
      "`BenchMessageV1(body=..., topic=...).validate()` (construction + validation of headers "
      "against the class and base `headers_schema`, body against `body_schema` and the base body "
      "schema). Also reported: `.validate()` repeated on one pre-built message, and (context only, "
      "not library behaviour) the same 4 schema checks with jsonschema validator objects built once.")
    w("4. **serialization** (`serde_bench.py N`): one `fedora_messaging.message.dumps(list_of_N)` "
      "call (validates each message, then `json.dumps(sort_keys=True)` per line) and one "
      "`message.loads(text)` call (per line: `json.loads`, validation against "
      "`SERIALIZED_MESSAGE_SCHEMA`, re-construction of the `BenchMessageV1`); round trip checked.")
    w("5. **memory**: `Maximum resident set size` reported by `/usr/bin/time -v` for the "
      "`consume_bench.py` process of test 2 (includes the interpreter, Twisted, pika, jsonschema).")
    w("")
    w("## Rerun")
    w("")
    w("Everything (venv setup, 3 runs, this file):")
    w("")
    w("```sh")
    w("cd ../bench/python && ./run_all.sh          # RUNS=3 by default")
    w("```")
    w("")
    w("Single tests (after `./setup_venv.sh`; broker at amqp://guest:guest@127.0.0.1:5672/%2F):")
    w("")
    w("```sh")
    w("cd ../bench/python")
    w("export FEDORA_MESSAGING_CONF=$PWD/config.toml PY=${FMBENCH_VENV:-$HOME/.cache/fmbench-venv}/bin/python")
    w("$PY broker.py setup                      # declare/bind bench_publish + bench_consume, purge")
    w("$PY gate.py wait                         # optional: wait (<= 60 s) until other processes are idle")
    w("# 1. publish")
    for s in pub_sizes.split():
        w(f"$PY broker.py purge bench_publish && $PY publish_bench.py {pub_n} {s} --warmup {pub_w} "
          f"&& $PY broker.py count bench_publish --expect {pub_n + pub_w} && $PY broker.py purge bench_publish")
    w("# 2. consume + 5. memory")
    w(f"$PY prefill.py {cons_n} {cons_size}")
    w(f"/usr/bin/time -v $PY consume_bench.py {cons_n}    # 'Maximum resident set size' on stderr")
    w("$PY broker.py count bench_consume --expect 0")
    w("# 3. validation")
    w(f"$PY validate_bench.py {val_it} --size {cons_size}")
    w("# 4. serialization")
    w(f"$PY serde_bench.py {ser_n} --size {cons_size}")
    w("# re-measure runs that stayed disturbed, into an existing results folder (rebuilds RESULTS.md)")
    w("APPEND_TO=results/<stamp> TESTS=publish PUB_SIZES=4000 RUN_IDS=\"2 3\" ATTEMPT_BASE=3 ./run_all.sh")
    w("# table from a results folder")
    w("$PY summarize.py results/<stamp> > RESULTS.md")
    w("```")
    w("")
    w("## Notes for the comparison")
    w("")
    w("- Client and broker share the 2 cores; publish/consume numbers include broker CPU contention "
      "and the broker's persistence of delivery_mode=2 messages before confirming. A Rust client "
      "should use the same queue durability, persistent messages, publisher confirms, "
      "sequential (one-in-flight) publish, prefetch 10 and one-at-a-time ack to be comparable.")
    w("- `Message.validate()` calls `jsonschema.validate()` four times; each call re-validates the "
      "schema against the draft-04 meta-schema (`check_schema`) and builds a new validator. That "
      "dominates validation cost (compare the *context* row), and validation in turn is a large "
      "part of each publish and each consumed message. An implementation that compiles schemas "
      "once will look much faster on tests 1-4 for that reason alone.")
    w("- `api.publish()` also hops from the calling thread into the crochet/Twisted reactor thread "
      "and back for every message; the consumer runs each callback via `deferToThread`.")
    w("- Python logging: `config.toml` sets the `fedora_messaging` logger to WARNING (the library "
      "default is INFO to stdout, i.e. two log lines per consumed message).")
    w("")
    sys.stdout.write("\n".join(o))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
