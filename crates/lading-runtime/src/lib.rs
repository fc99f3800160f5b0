//! Runs Lading pipelines: steps, retries, catch, quarantine, incremental sync, reports, notifications.
