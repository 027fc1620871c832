"""Archive messages through datanommer's own `add()` (arguments: the database URL and a file of
messages in the `record` line format, one JSON object per line).

Each line becomes a fedora-messaging 3.9.1 `Message` with its id, topic, headers (`sent-at`, which
datanommer stores as the message's time, included) and body. datanommer asks a message for its
users and packages; these come from the body's `usernames` and `packages` lists, as a schema's
properties would give them.
"""

import json
import sys

import datanommer.models as dm
import pika
from fedora_messaging import message as fm


class Archived(fm.Message):
    @property
    def usernames(self):
        return self.body.get("usernames", [])

    @property
    def packages(self):
        return self.body.get("packages", [])


dm.init(sys.argv[1])
count = 0
with open(sys.argv[2], encoding="utf-8") as lines:
    for line in lines:
        data = json.loads(line)
        # The properties as received: the archive keeps the headers the message was sent
        # with (schema name, sent-at, severity, filter headers), not new ones.
        properties = pika.BasicProperties(
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            headers=data["headers"],
            message_id=data["id"],
        )
        msg = Archived(body=data["body"], topic=data["topic"], properties=properties)
        dm.add(msg)
        count += 1
print(count)
