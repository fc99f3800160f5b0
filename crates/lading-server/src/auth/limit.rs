//! Login attempts limited per user name and per client address (governor's GCRA), so a
//! password cannot be guessed quickly from one address or against one account from many.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

pub struct LoginLimiter {
    per_user: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    pub fn new(per_user_per_minute: NonZeroU32, per_address_per_minute: NonZeroU32) -> LoginLimiter {
        LoginLimiter {
            per_user: RateLimiter::keyed(Quota::per_minute(per_user_per_minute)),
            per_address: RateLimiter::keyed(Quota::per_minute(per_address_per_minute)),
        }
    }

    /// Counts one attempt; `Err(seconds)` when the user or the address must wait.
    pub fn check(&self, username: &str, address: Option<IpAddr>) -> Result<(), u64> {
        let clock = DefaultClock::default();
        let wait = |not_until: governor::NotUntil<_>| not_until.wait_time_from(clock.now()).as_secs().max(1);
        if let Some(address) = address {
            self.per_address.check_key(&address).map_err(wait)?;
        }
        self.per_user.check_key(&username.to_lowercase()).map_err(wait)?;
        self.per_user.retain_recent();
        self.per_address.retain_recent();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_and_an_address_are_limited_separately() {
        let limiter = LoginLimiter::new(NonZeroU32::new(2).unwrap(), NonZeroU32::new(3).unwrap());
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let there: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.check("ada", Some(here)).is_ok());
        assert!(limiter.check("ADA", Some(there)).is_ok());
        let wait = limiter.check("ada", Some(there)).unwrap_err();
        assert!(wait >= 1);
        assert!(limiter.check("bob", Some(here)).is_ok());
        // here: ada, bob, then the address's third attempt is refused whatever the name.
        assert!(limiter.check("carol", Some(here)).is_ok());
        assert!(limiter.check("dave", Some(here)).is_err());
    }
}
