//! `lading serve`: the REST API under `/api` (documented at `/api/openapi.json`), session
//! authentication with roles, and the server-rendered dashboards, over the same engine the
//! command line drives.

pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod background;
pub mod cache;
pub mod error;
pub mod pages;
pub mod query;
pub mod serve;
pub mod settings;
pub mod users;

pub use app::{AppState, router};
pub use settings::ServerSettings;
