"""The Python side of the STOMP interop tests: a real moksha hub (fedmsg 1.1.7's STOMP path,
stomper over Twisted) with zmq_enabled=False.

  stomp_hub.py BROKER CONSUME_TOPIC [PUBLISH_COUNT]
      Runs a hub connected to BROKER (host:port); a moksha consumer on CONSUME_TOPIC prints each
      message body as one JSON line. With PUBLISH_COUNT, 3 s after start it publishes that many
      messages with fedmsg.publish (modname "py", topic "stomp.hello"), each printed as
      {"sent": envelope}. Stops on SIGINT/SIGTERM.
"""
import json
import os
import signal
import sys

# The hub logs to stderr; a file keeps it readable after the test (and a pipe nobody reads from
# full).
if os.environ.get("HUB_LOG"):
    sys.stderr = open(os.environ["HUB_LOG"], "a", buffering=1)

import fedmsg
import moksha.hub
from moksha.hub.api.consumer import Consumer

broker, consume_topic = sys.argv[1], sys.argv[2]
publish_count = int(sys.argv[3]) if len(sys.argv) > 3 else 0

config = dict(
    zmq_enabled=False,
    stomp_uri=broker,
    stomp_user="guest",
    stomp_pass="guest",
    topic_prefix="/topic/org.fedoraproject",
    environment="prod",
    endpoints={},
    sign_messages=False,
    validate_signatures=False,
)


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Printer(Consumer):
    topic = consume_topic

    def consume(self, message):
        body = message["body"]
        if isinstance(body, (bytes, str)):
            body = json.loads(body)
        out({"received": body, "topic": message.get("topic")})


def publish():
    fedmsg.init(**config)
    for n in range(publish_count):
        sent = []
        fedmsg.publish(topic="stomp.hello", modname="py", msg={"n": n, "text": "über STOMP"},
                       pre_fire_hook=lambda m: sent.append(json.loads(json.dumps(m))))
        out({"sent": sent[0]})


if publish_count:
    from moksha.hub.reactor import reactor
    reactor.callLater(3, publish)


def stop(*_):
    from moksha.hub.reactor import reactor
    reactor.callFromThread(reactor.stop)


signal.signal(signal.SIGTERM, stop)
moksha.hub.main(options=config, consumers=[Printer], framework=False)
