//! Who is asking: passwords, session tokens, the login limiter and the extractors every route
//! uses to require a signed-in user of a role.

pub mod limit;
pub mod password;
pub mod session;
pub mod token;

pub use session::{Admin, Operator, Session};
