//! Session tokens: HS256 JWTs signed with a key from the secret store, short-lived, revocable
//! by id, carrying the CSRF token of their session.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lading_store::SecretStore;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where the signing key lives in the secret store; created on first start.
pub const SIGNING_KEY_SECRET: &str = "lading/server/jwt-signing-key";
const ISSUER: &str = "lading";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The username.
    pub sub: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// The token's id, for revocation.
    pub jti: String,
    /// The session's CSRF token: cookie-authenticated writes must repeat it.
    pub csrf: String,
}

impl Claims {
    pub fn expires_at(&self) -> String {
        chrono::DateTime::from_timestamp(self.exp, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8], ttl: Duration) -> TokenKeys {
        TokenKeys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), ttl }
    }

    /// The key stored under [`SIGNING_KEY_SECRET`], created (256 random bits) when missing.
    pub async fn load_or_create(secrets: &dyn SecretStore, ttl: Duration) -> Result<TokenKeys, String> {
        let stored = secrets.get_secret(SIGNING_KEY_SECRET).await.map_err(|e| e.to_string())?;
        let encoded = match stored {
            Some(secret) => secret.expose().to_string(),
            None => {
                let bytes: [u8; 32] = rand::random();
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                secrets
                    .put_secret(SIGNING_KEY_SECRET, &lading_core::Secret::new(encoded.clone()))
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!("created the session signing key {SIGNING_KEY_SECRET}");
                encoded
            }
        };
        let key = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| {
            format!("secret {SIGNING_KEY_SECRET} is not base64; delete it to have a new key made (every session ends)")
        })?;
        if key.len() < 32 {
            return Err(format!(
                "secret {SIGNING_KEY_SECRET} is shorter than 256 bits; delete it to have a new key made"
            ));
        }
        Ok(TokenKeys::from_secret(&key, ttl))
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new session token for `username`.
    pub fn issue(&self, username: &str) -> Result<(String, Claims), String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: username.to_string(),
            iss: ISSUER.into(),
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            jti: uuid::Uuid::new_v4().to_string(),
            csrf: hex_token(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| format!("cannot sign the session token: {e}"))?;
        Ok((token, claims))
    }

    /// The claims of a token signed by this key with HS256 and not expired. Tokens with any
    /// other algorithm (`none` included), a bad signature or a past `exp` are refused.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map(|data| data.claims).map_err(|e| match e
            .kind()
        {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

fn hex_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(&[7u8; 32], Duration::from_secs(60))
    }

    #[test]
    fn an_issued_token_verifies_and_names_its_user() {
        let (token, claims) = keys().issue("ada").unwrap();
        let verified = keys().verify(&token).unwrap();
        assert_eq!(verified, claims);
        assert_eq!(verified.sub, "ada");
        assert_eq!(verified.csrf.len(), 32);
    }

    #[test]
    fn tampered_foreign_none_and_expired_tokens_are_refused() {
        let (token, _) = keys().issue("ada").unwrap();
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        // Another user in the payload, the old signature.
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&parts[1]).unwrap();
        let forged = String::from_utf8(payload).unwrap().replace("\"ada\"", "\"eve\"");
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
        assert_eq!(keys().verify(&parts.join(".")), Err(TokenError::Invalid));
        // alg none, no signature.
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(keys().verify(&format!("{header}.{}.", parts[1])), Err(TokenError::Invalid));
        // Another key.
        let other = TokenKeys::from_secret(&[8u8; 32], Duration::from_secs(60));
        assert_eq!(other.verify(&token), Err(TokenError::Invalid));
        // Expired.
        let expired = TokenKeys::from_secret(&[7u8; 32], Duration::ZERO).issue("ada").unwrap().0;
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(keys().verify(&expired), Err(TokenError::Expired));
        assert_eq!(keys().verify("garbage"), Err(TokenError::Invalid));
    }
}
