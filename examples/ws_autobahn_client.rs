//! Placeholder until the WebSocket core lands.
fn main() {}
