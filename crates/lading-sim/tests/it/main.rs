//! End-to-end tests of the simulators over real HTTP on loopback, read as specs of how each
//! simulated system behaves.

mod faults;
mod kong;
mod siesa;
mod support;
mod wms;
