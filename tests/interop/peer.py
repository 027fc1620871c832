#!/usr/bin/env python3
"""The Python side of the interop tests (tests/interop.rs): fedora-messaging 3.9.1 and real
schema packages, driven the way a Python service uses them.

    peer.py publish CASES.json     publish each case with fedora_messaging.api.publish
    peer.py receive QUEUE COUNT    take COUNT deliveries from QUEUE and run each through
                                   fedora_messaging.message.get_message, the consumer's receive path

FEDORA_MESSAGING_CONF names the config.toml. Each message is printed as one JSON line.
"""

import json
import sys
import time

import pika
from fedora_messaging import api, config, message


def body_of(case):
    body = case["body"]
    expand = case.get("expand")
    if expand:
        body = dict(body)
        body[expand["key"]] = expand["text"] * expand["times"]
    return body


def class_name(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


def publish(cases_path):
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    for case in cases:
        cls = message.get_class(case["schema"])
        msg = cls(
            body=body_of(case),
            topic=case.get("topic"),
            headers=case.get("headers"),
            severity=case.get("severity"),
        )
        # Fixed id and time, so that both sides' deliveries can be compared byte for byte.
        msg.id = case["id"]
        msg._headers["sent-at"] = case["sent_at"]
        api.publish(msg, timeout=30)
        print(json.dumps({
            "case": case["name"], "id": msg.id, "class": class_name(cls), "topic": msg.topic,
            "headers": msg._headers, "severity": msg.severity, "agent_name": msg.agent_name,
            "usernames": list(msg.usernames), "packages": list(msg.packages), "summary": msg.summary,
        }), flush=True)


def receive(queue, count):
    connection = pika.BlockingConnection(pika.URLParameters(config.conf["amqp_url"]))
    channel = connection.channel()
    deadline = time.monotonic() + 60
    seen = 0
    while seen < count and time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            time.sleep(0.05)
            continue
        seen += 1
        record = {"routing_key": method.routing_key, "id": properties.message_id,
                  "headers": properties.headers}
        try:
            msg = message.get_message(method.routing_key, properties, body)
        except Exception as e:  # reported, for the test to name
            record["error"] = f"{type(e).__name__}: {e}"
        else:
            record.update({
                "class": class_name(type(msg)),
                "schema": message.get_name(type(msg)),
                "topic": msg.topic,
                "body": msg.body,
                "severity": msg.severity,
                "agent_name": msg.agent_name,
                "usernames": list(msg.usernames),
                "packages": list(msg.packages),
                "summary": msg.summary,
            })
        print(json.dumps(record), flush=True)
    connection.close()


def main():
    if sys.argv[1:2] == ["publish"] and len(sys.argv) == 3:
        publish(sys.argv[2])
    elif sys.argv[1:2] == ["receive"] and len(sys.argv) == 4:
        receive(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
