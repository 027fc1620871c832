"""The Python side of scripts/bench-fedmsg: fedmsg 1.1.7's canonical encoding and its publish ->
receive over loopback (fedmsg.publish in one thread, fedmsg.tail_messages in another, one
process, as the Rust side). Run in a folder whose fedmsg.d/ the script writes. Prints JSON lines.

    python bench.py MESSAGES
"""
import json
import os
import socket
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))


def report(name, count, elapsed, **extra):
    line = {"side": "python", "name": name, "count": count, "per_second": count / elapsed}
    line.update(extra)
    print(json.dumps(line), flush=True)


def main():
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    with open(os.path.join(here, "sample.json")) as f:
        env = json.load(f)

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    os.makedirs("fedmsg.d", exist_ok=True)
    with open("fedmsg.d/bench.py", "w") as f:
        # The default high-water mark (libzmq's 1000): fedmsg 1.1.7 cannot set another with a
        # current pyzmq (it sets zmq.HWM, the zeromq 2 option, which libzmq 4 rejects).
        f.write("config = dict(sign_messages=False, validate_signatures=False,\n"
                "  endpoints={'bench.host': ['tcp://127.0.0.1:%d']})\n" % port)

    import fedmsg
    import fedmsg.encoding

    n = 20000
    start = time.perf_counter()
    size = 0
    for _ in range(n):
        size += len(fedmsg.encoding.dumps(env))
    report("canonical encoding", n, time.perf_counter() - start, bytes=size // n)

    pki = os.environ.get("FEDMSG_BENCH_PKI")
    if pki:
        import fedmsg.crypto
        crypto = dict(crypto_backend="x509", crypto_validate_backends=["x509"], ssldir=pki,
                      ca_cert_location=pki + "/ca.crt", crl_location=pki + "/crl.pem")
        fedmsg.crypto.init(**crypto)
        unsigned = {k: v for k, v in env.items() if k not in ("signature", "certificate", "crypto")}
        n = 1000
        start = time.perf_counter()
        for _ in range(n):
            signed = fedmsg.crypto.sign(dict(unsigned), certname="bodhi-app01", **crypto)
        report("x509 sign", n, time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(n):
            assert fedmsg.crypto.validate(signed, **crypto)
        report("x509 validate (CA chain, CRL, signature)", n, time.perf_counter() - start)

    received = [0]
    done = threading.Event()
    ready = threading.Event()

    def tail():
        fedmsg.init(mute=True, name="relay_inbound")
        ready.set()
        for _ in fedmsg.tail_messages():
            received[0] += 1
            if received[0] >= messages:
                break
        done.set()

    threading.Thread(target=tail, daemon=True).start()
    ready.wait()
    # fedmsg's own answer to the slow joiner: a fixed sleep after binding (here 1 s).
    # init() updates fedmsg's cached config in place: undo what the tail thread set.
    fedmsg.init(name="bench.host", post_init_sleep=1.0, mute=False)
    start = time.perf_counter()
    for _ in range(messages):
        fedmsg.publish(topic="update.comment", modname="bodhi", msg=env["msg"])
    # Nothing tells the sender what was lost: wait until the tail goes quiet.
    last, quiet_since = -1, time.perf_counter()
    while not done.is_set():
        if received[0] != last:
            last, quiet_since = received[0], time.perf_counter()
        elif time.perf_counter() - quiet_since > 2:
            break
        done.wait(0.05)
    elapsed = (time.perf_counter() if done.is_set() else quiet_since) - start
    report("publish → receive, loopback", received[0], elapsed, sent=messages,
           lost=messages - received[0])
    os._exit(0)


main()
