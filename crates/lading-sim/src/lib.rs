//! Simulated Siesa, Kong, WMS (and later SAP) servers with deterministic data and fault injection.
