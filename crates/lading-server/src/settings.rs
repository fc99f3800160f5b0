//! How the server is set up: where it listens, how long sessions last, how hard logins are
//! limited. Read from the command line or the environment (`LADING_*`).

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// How long a session token is valid.
    pub session_ttl: Duration,
    /// Mark the session cookie `Secure` (serve behind TLS).
    pub secure_cookies: bool,
    /// Login attempts allowed per user name per minute.
    pub login_per_user_per_minute: NonZeroU32,
    /// Login attempts allowed per client address per minute.
    pub login_per_address_per_minute: NonZeroU32,
    /// The largest request body accepted, in bytes (CSV uploads included).
    pub max_body_bytes: usize,
    /// Run the tenants' cron schedules in this process (embedded mode).
    pub scheduler: bool,
    /// How often the scheduler reads the clock.
    pub scheduler_interval: Duration,
    /// A static bearer token Prometheus may scrape `/metrics` with (signed-in users may too).
    pub metrics_token: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            session_ttl: Duration::from_secs(30 * 60),
            secure_cookies: false,
            login_per_user_per_minute: NonZeroU32::new(5).expect("non-zero"),
            login_per_address_per_minute: NonZeroU32::new(20).expect("non-zero"),
            max_body_bytes: 16 * 1024 * 1024,
            scheduler: true,
            scheduler_interval: Duration::from_secs(20),
            metrics_token: None,
        }
    }
}
