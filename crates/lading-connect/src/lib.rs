//! HTTP IO of Lading: the shared client, source connectors and product adapters.
