//! Work the server does beside its requests: scheduled and triggered runs.
//!
//! A run's future is not `Send` (the runtime's pipelines borrow across awaits in ways rustc
//! cannot yet prove thread-safe), so it runs on a blocking thread that drives it with the
//! server's runtime handle instead of on a worker of `tokio::spawn`.

use std::future::Future;
use tokio::task::JoinHandle;

/// Runs the future made by `make` to completion on a blocking thread.
pub fn spawn<F, Fut>(make: F) -> JoinHandle<Fut::Output>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(make()))
}
