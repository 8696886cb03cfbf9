//! The `lunatrace` command line (placeholder).
fn main() {}
