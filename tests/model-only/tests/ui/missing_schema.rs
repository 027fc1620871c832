use fedora_messaging::Message;

#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema, Message)]
#[message(topic = "demo.thing.v1")]
struct Thing {
    n: u32,
}

fn main() {}
