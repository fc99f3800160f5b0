//! The storage ports of Lading and their embedded backends: SQLite state, local objects, encrypted secrets.
