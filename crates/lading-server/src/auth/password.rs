//! Passwords: hashed with argon2id (the `argon2` crate's defaults, OWASP's minimum), checked
//! in constant time, and held to a minimum length.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2};

/// Passwords shorter than this are refused.
pub const MIN_LENGTH: usize = 12;

/// Why a password is not acceptable.
pub fn check_policy(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!("the password has {length} characters; use at least {MIN_LENGTH}"));
    }
    if length > 1024 {
        return Err("the password is longer than 1024 characters".into());
    }
    Ok(())
}

/// The argon2id PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the stored PHC string; a malformed or non-argon2id string never
/// matches.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return false;
    }
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// A hash to verify against when the user does not exist, so an unknown name takes as long to
/// refuse as a wrong password.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password that never matches").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let one = hash("correct horse battery").unwrap();
        let two = hash("correct horse battery").unwrap();
        assert!(one.starts_with("$argon2id$"), "{one}");
        assert_ne!(one, two, "salts differ");
        assert!(verify("correct horse battery", &one));
        assert!(!verify("correct horse batterY", &one));
        assert!(!verify("correct horse battery", "not a phc string"));
        assert!(!verify("x", "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"));
    }

    #[test]
    fn short_passwords_are_refused_with_the_minimum() {
        let err = check_policy("short").unwrap_err();
        assert!(err.contains("at least 12"), "{err}");
        assert!(check_policy("twelve chars").is_ok());
    }
}
