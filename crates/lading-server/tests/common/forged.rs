//! Tokens the server must refuse: signed by its key but expired, a real token with its payload
//! changed, and an unsigned `alg: none` token claiming to be the admin.

#![allow(dead_code)]

use crate::common::{ADMIN, OPERATOR, TestServer};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use lading_server::auth::token::{Claims, SIGNING_KEY_SECRET};

pub struct Forged {
    /// The operator's real token with `sub` changed to the admin, the signature kept.
    pub tampered: String,
    /// The admin's claims signed with the server's key, expired a minute ago.
    pub expired: String,
    /// The admin's claims with `alg: none` and no signature.
    pub alg_none: String,
}

impl Forged {
    /// `(name, token)` of each bad token.
    pub fn all(&self) -> [(&'static str, &str); 3] {
        [("tampered", &self.tampered), ("expired", &self.expired), ("alg none", &self.alg_none)]
    }
}

fn admin_claims(exp: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: ADMIN.0.into(),
        iss: "lading".into(),
        iat: now - 3600,
        exp,
        jti: uuid::Uuid::new_v4().to_string(),
        csrf: "0".repeat(32),
    }
}

pub async fn tokens(server: &TestServer) -> Forged {
    let real = server.token(OPERATOR).await;
    let parts: Vec<&str> = real.split('.').collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let forged_payload = payload.replace(&format!("\"{}\"", OPERATOR.0), &format!("\"{}\"", ADMIN.0));
    assert_ne!(payload, forged_payload);
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(forged_payload), parts[2]);

    let secret = server.engine.secrets.get_secret(SIGNING_KEY_SECRET).await.unwrap().unwrap();
    let key = STANDARD.decode(secret.expose().trim()).unwrap();
    let past = chrono::Utc::now().timestamp() - 60;
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &admin_claims(past),
        &jsonwebtoken::EncodingKey::from_secret(&key),
    )
    .unwrap();

    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&admin_claims(past + 3600)).unwrap());
    let alg_none = format!("{header}.{claims}.");
    Forged { tampered, expired, alg_none }
}
