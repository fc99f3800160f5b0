//! `lading serve`: the server on its address, the embedded scheduler beside it, and a graceful
//! stop on Ctrl-C or SIGTERM.

use crate::app::{AppState, router};
use lading_runtime::schedule::{self, SchedulerState};
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Serves until `shutdown` completes; requests in flight finish first, and a scheduled run in
/// progress is finished before the scheduler stops.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = state.settings.scheduler.then(|| {
        let (state, stop) = (state.clone(), stop_rx.clone());
        crate::background::spawn(move || run_scheduler(state, stop))
    });
    // Runs a crash interrupted go on to their end beside the server (lading_runtime::runner).
    let engine = state.engine.clone();
    drop(crate::background::spawn(move || async move {
        lading_runtime::runner::resume_interrupted(&engine).await;
    }));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    tracing::info!(address = %listener.local_addr()?, "serving");
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down");
            let _ = stop_tx.send(true);
        })
        .await;
    if let Some(scheduler) = scheduler {
        let _ = scheduler.await;
    }
    result
}

/// Reads the clock every `scheduler_interval` and fires the runs whose slot has come.
async fn run_scheduler(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut scheduler = SchedulerState::default();
    let mut interval = tokio::time::interval(state.settings.scheduler_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => break,
        }
        match schedule::tick(&state.engine, &mut scheduler, chrono::Utc::now()).await {
            Ok(outcomes) => {
                for outcome in outcomes {
                    match outcome {
                        Ok(run) => {
                            tracing::info!(run_id = %run.run_id, tenant = %run.tenant_id, status = run.status.as_str(), "scheduled run finished")
                        }
                        Err(message) => tracing::warn!("{message}"),
                    }
                }
            }
            Err(err) => tracing::error!(error = %err, "scheduler could not read the schedules"),
        }
        if let Err(err) = lading_runtime::alerts::check_stuck_runs(&state.engine, chrono::Utc::now()).await {
            tracing::warn!(error = %err, "stuck-run check failed");
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
