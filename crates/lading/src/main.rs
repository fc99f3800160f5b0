//! The `lading` command.

fn main() {}
