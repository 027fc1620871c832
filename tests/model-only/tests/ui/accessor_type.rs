use fedora_messaging::Message;

#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema, Message)]
#[message(schema = "demo.thingV1", topic = "demo.thing.v1")]
struct Thing {
    #[message(usernames)]
    count: u32,
}

fn main() {}
