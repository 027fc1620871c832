"""The Python side of the fedmsg interop tests: real fedmsg 1.1.7, run in a folder whose
fedmsg.d/ holds the test's configuration (fedmsg reads ./fedmsg.d).

  peer.py publish NAME CASES.jsonl [--sleep S] [--then-wait S --more CASES2.jsonl]
      fedmsg.init(name=NAME) (binds, sleeps post_init_sleep), publishes each case
      ({"modname", "topic", "msg"}); prints each envelope as sent (pre_fire_hook), one JSON line.
  peer.py tail COUNT TIMEOUT
      fedmsg.tail_messages(): prints {"name", "endpoint", "topic", "msg", "dumps"} per message,
      where dumps is fedmsg.encoding.dumps(msg); stops after COUNT or TIMEOUT seconds.
  peer.py raw-sub ENDPOINT COUNT TIMEOUT
      a plain pyzmq SUB: prints {"frames": [frame0, frame1], "dumps": dumps(loads(frame1))}.
  peer.py dumps FILE
      fedmsg.encoding.dumps(json.loads(line)) for each line of FILE.
  peer.py sign CERTNAME FILE
      fedmsg.crypto.sign(msg, certname=CERTNAME, **config) for each line of FILE: the signed dicts.
  peer.py validate FILE [OVERRIDES]
      fedmsg.crypto.validate(msg, **config) for each line of FILE ({"valid": bool}), the site's
      config updated with the JSON object OVERRIDES.
"""
import json
import sys
import time

import fedmsg
import fedmsg.encoding
import zmq


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def publish(args):
    name, cases = args[0], args[1]
    opts = dict(zip(args[2::2], args[3::2]))
    kw = {"name": name}
    if "--sleep" in opts:
        kw["post_init_sleep"] = float(opts["--sleep"])
    fedmsg.init(**kw)
    sent = []

    def send(path):
        with open(path) as f:
            for line in f:
                case = json.loads(line)
                fedmsg.publish(topic=case["topic"], msg=case["msg"], modname=case["modname"],
                               pre_fire_hook=lambda m: sent.append(json.loads(json.dumps(m))))
                out(sent[-1])

    send(cases)
    if "--then-wait" in opts:
        time.sleep(float(opts["--then-wait"]))
        send(opts["--more"])
    # Let the socket deliver before the process exits.
    time.sleep(0.5)
    fedmsg.destroy()


def tail(args):
    import os
    import threading

    count, timeout = int(args[0]), float(args[1])
    fedmsg.init(mute=True, name="relay_inbound")
    # tail_messages blocks in poll(); a helper thread ends the process at the deadline.
    threading.Thread(target=lambda: (time.sleep(timeout), os._exit(0)), daemon=True).start()
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    seen = 0
    for name, endpoint, topic, msg in fedmsg.tail_messages():
        out({"name": name, "endpoint": endpoint, "topic": topic, "msg": msg,
             "dumps": fedmsg.encoding.dumps(msg)})
        seen += 1
        if seen >= count:
            break
    os._exit(0)


def raw_sub(args):
    endpoint, count, timeout = args[0], int(args[1]), float(args[2])
    ctx = zmq.Context()
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.connect(endpoint)
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    deadline = time.time() + timeout
    seen = 0
    while seen < count and time.time() < deadline:
        if s.poll(100):
            frames = s.recv_multipart()
            out({"frames": [f.decode("utf-8") for f in frames],
                 "dumps": fedmsg.encoding.dumps(json.loads(frames[-1]))})
            seen += 1


def dumps(args):
    with open(args[0]) as f:
        for line in f:
            sys.stdout.write(fedmsg.encoding.dumps(json.loads(line)) + "\n")


def sign(args):
    import fedmsg.crypto
    import fedmsg.config

    config = fedmsg.config.load_config()
    with open(args[1]) as f:
        for line in f:
            out(fedmsg.crypto.sign(json.loads(line), certname=args[0], **config))


def validate(args):
    import fedmsg.crypto
    import fedmsg.config

    config = dict(fedmsg.config.load_config())
    if len(args) > 1:
        config.update(json.loads(args[1]))
    # validate() sets its allowed backends up once; these overrides may change them.
    fedmsg.crypto.init(**config)
    with open(args[0]) as f:
        for line in f:
            out({"valid": bool(fedmsg.crypto.validate(json.loads(line), **config))})


if __name__ == "__main__":
    {"publish": publish, "tail": tail, "raw-sub": raw_sub, "dumps": dumps, "sign": sign,
     "validate": validate}[sys.argv[1]](sys.argv[2:])
