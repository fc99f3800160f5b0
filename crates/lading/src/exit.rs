//! Exit codes: distinct per kind of failure, so scripts can tell them apart.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | a run finished with status `failed` |
//! | 2 | invalid input: arguments, config, mapping file, secret format |
//! | 3 | not found: unknown tenant or run |
//! | 4 | an external system failed: unreachable, refused credentials |
//! | 5 | internal: state, object store, IO |
//! | 6 | busy: a run of the same tenant and pipeline is in progress (try again when it ends) |

use lading_runtime::RunError;
use lading_runtime::engine::EngineError;
use lading_store::StoreError;
use std::process::ExitCode;

pub const RUN_FAILED: u8 = 1;
pub const INVALID_INPUT: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const EXTERNAL: u8 = 4;
pub const INTERNAL: u8 = 5;
pub const BUSY: u8 = 6;

#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into() }
    }
    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(INVALID_INPUT, message)
    }
    pub fn internal(message: impl std::fmt::Display) -> Failure {
        Failure::new(INTERNAL, message.to_string())
    }
    pub fn code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Failure {
        let code = match err {
            StoreError::UnknownTenant(_) | StoreError::UnknownRun(_) => NOT_FOUND,
            StoreError::Secret { .. } => INVALID_INPUT,
            _ => INTERNAL,
        };
        Failure::new(code, err.to_string())
    }
}

impl From<EngineError> for Failure {
    fn from(err: EngineError) -> Failure {
        match err {
            EngineError::Store(store) => store.into(),
            other => Failure::invalid(other.to_string()),
        }
    }
}

impl From<RunError> for Failure {
    fn from(err: RunError) -> Failure {
        match err {
            RunError::Engine(engine) => engine.into(),
            RunError::Store(store) => store.into(),
            RunError::Locked { .. } | RunError::LeaseLost { .. } => Failure::new(BUSY, err.to_string()),
            other => Failure::invalid(other.to_string()),
        }
    }
}
