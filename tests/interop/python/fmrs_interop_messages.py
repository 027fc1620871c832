"""The Python half of `fmrs.interop.build.v1`, written as a Python schema package would write it.

The Rust half is `InteropBuild` in tests/interop/peer.rs, derived with `#[derive(Message)]`. The
interop tests check that each side resolves, validates and reads the other's messages alike.
"""

from fedora_messaging import message


class InteropBuildV1(message.Message):
    """A build finished."""

    topic = "fmrs.interop.build.v1"
    severity = message.WARNING
    body_schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {
            "owner": {"type": "string"},
            "package": {"type": "string"},
            "status": {"type": "string", "enum": ["succeeded", "failed"]},
            "watchers": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "string"},
        },
        "required": ["owner", "package", "status", "watchers"],
    }

    @property
    def agent_name(self):
        return self.body["owner"]

    @property
    def usernames(self):
        return sorted({self.body["owner"], *self.body["watchers"]})

    @property
    def packages(self):
        return [self.body["package"]]

    @property
    def summary(self):
        return f"{self.body['owner']}'s build of {self.body['package']} {self.body['status']}"
