//! Kong's data: accounts, tokens, per-account SKUs with their idempotency records, the
//! Django-REST-style validation of SKU fields, and the upsert that bulk and creates share.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::KongAccount;
use super::KongStats;
use crate::gtin::is_valid_ean13;

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Sku {
    pub(crate) id: u64,
    pub(crate) external_id: String,
    pub(crate) name: String,
    pub(crate) reference: Value,
    pub(crate) product_id: Value,
    pub(crate) barcode: Value,
    pub(crate) ean: Value,
    pub(crate) rfid_tag_id: Value,
    pub(crate) properties: Value,
    pub(crate) customer_id: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

impl Sku {
    pub(crate) fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The SKU fields a request gave, already validated; `None` means "not given".
#[derive(Default)]
pub(crate) struct SkuFields {
    pub(crate) external_id: Option<String>,
    name: Option<String>,
    reference: Option<Value>,
    product_id: Option<Value>,
    barcode: Option<Value>,
    ean: Option<Value>,
    rfid_tag_id: Option<Value>,
    properties: Option<Value>,
}

/// Field errors in Django REST framework's shape: `{"field": ["message", …]}`.
pub(crate) type FieldErrors = Map<String, Value>;

fn add_error(errors: &mut FieldErrors, field: &str, message: &str) {
    let entry = errors.entry(field.to_string()).or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(messages) = entry {
        messages.push(json!(message));
    }
}

/// Validates a SKU body; `partial` (a PATCH) makes the required fields optional.
/// Every problem is reported, not just the first. Unknown fields are ignored, as DRF does.
pub(crate) fn validate(body: &Value, partial: bool) -> Result<SkuFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(object) = body.as_object() else {
        add_error(&mut errors, "non_field_errors", "Invalid data. Expected a dictionary.");
        return Err(errors);
    };
    let mut fields = SkuFields::default();
    for required in ["external_id", "name"] {
        let value = match object.get(required) {
            None if partial => continue,
            None | Some(Value::Null) => {
                add_error(&mut errors, required, "This field is required.");
                continue;
            }
            Some(value) => value,
        };
        match value.as_str() {
            Some(text) if text.trim().is_empty() => {
                add_error(&mut errors, required, "This field may not be blank.");
            }
            Some(text) if text.chars().count() > 255 => {
                add_error(&mut errors, required, "Ensure this field has no more than 255 characters.")
            }
            Some(text) if required == "external_id" => fields.external_id = Some(text.to_string()),
            Some(text) => fields.name = Some(text.to_string()),
            None => add_error(&mut errors, required, "Not a valid string."),
        }
    }
    for optional in ["reference", "barcode"] {
        if let Some(value) = object.get(optional) {
            if value.is_null() || value.is_string() {
                let slot = if optional == "reference" { &mut fields.reference } else { &mut fields.barcode };
                *slot = Some(value.clone());
            } else {
                add_error(&mut errors, optional, "Not a valid string.");
            }
        }
    }
    if let Some(value) = object.get("product_id") {
        if value.is_null() || value.is_string() || value.is_u64() || value.is_i64() {
            fields.product_id = Some(value.clone());
        } else {
            add_error(&mut errors, "product_id", "Not a valid string.");
        }
    }
    if let Some(value) = object.get("ean") {
        match value {
            Value::Null => fields.ean = Some(Value::Null),
            Value::String(ean) if is_valid_ean13(ean) => fields.ean = Some(value.clone()),
            _ => add_error(&mut errors, "ean", "Enter a valid EAN-13: 13 digits with a correct check digit."),
        }
    }
    if let Some(value) = object.get("rfid_tag_id") {
        match value {
            Value::Null => fields.rfid_tag_id = Some(Value::Null),
            Value::String(tag) if tag.len() == 24 && tag.bytes().all(|byte| byte.is_ascii_hexdigit()) => {
                fields.rfid_tag_id = Some(value.clone());
            }
            _ => add_error(&mut errors, "rfid_tag_id", "Enter a valid EPC: 24 hexadecimal characters."),
        }
    }
    if let Some(value) = object.get("properties") {
        match value {
            Value::Null | Value::Object(_) => fields.properties = Some(value.clone()),
            _ => add_error(&mut errors, "properties", "Expected a dictionary of items."),
        }
    }
    if errors.is_empty() { Ok(fields) } else { Err(errors) }
}

/// What an upsert did to one SKU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
        }
    }
}

/// A stored answer for an idempotency key.
pub(crate) struct IdempotentAnswer {
    pub(crate) request: Value,
    pub(crate) status: u16,
    pub(crate) body: String,
}

pub(crate) struct Account {
    password: String,
    customer_id: String,
    skus: Vec<Sku>,
    by_id: HashMap<u64, usize>,
    by_external_id: HashMap<String, Vec<usize>>,
    creates_by_external_id: HashMap<String, u32>,
    pub(crate) idempotency: HashMap<String, IdempotentAnswer>,
    pub(crate) stats: KongStats,
}

struct Token {
    username: String,
    uses: u32,
}

pub(crate) struct KongStore {
    accounts: HashMap<String, Account>,
    tokens: HashMap<String, Token>,
    next_sku_id: u64,
}

/// Why a token was refused.
pub(crate) struct Unauthorized;

impl KongStore {
    pub(crate) fn new(accounts: &[KongAccount]) -> Result<Self, String> {
        let mut store = Self { accounts: HashMap::new(), tokens: HashMap::new(), next_sku_id: 1 };
        for account in accounts {
            let previous = store.accounts.insert(
                account.username.clone(),
                Account {
                    password: account.password.clone(),
                    customer_id: account.customer_id.clone(),
                    skus: Vec::new(),
                    by_id: HashMap::new(),
                    by_external_id: HashMap::new(),
                    creates_by_external_id: HashMap::new(),
                    idempotency: HashMap::new(),
                    stats: KongStats::default(),
                },
            );
            if previous.is_some() {
                return Err(format!("duplicate kong account {}", account.username));
            }
        }
        Ok(store)
    }

    /// Checks a password; on success records a login and binds `token` to the account.
    pub(crate) fn login(&mut self, username: &str, password: &str, token: String) -> bool {
        let Some(account) = self.accounts.get_mut(username) else {
            return false;
        };
        if account.password != password {
            account.stats.unauthorized += 1;
            return false;
        }
        account.stats.logins += 1;
        self.tokens.insert(token, Token { username: username.to_string(), uses: 0 });
        true
    }

    /// The account a token belongs to, counting this use against `ttl_requests`.
    pub(crate) fn authenticate(&mut self, token: &str, ttl_requests: Option<u32>) -> Result<String, Unauthorized> {
        let Some(entry) = self.tokens.get_mut(token) else {
            return Err(Unauthorized);
        };
        entry.uses = entry.uses.saturating_add(1);
        let expired = ttl_requests.is_some_and(|ttl| entry.uses > ttl);
        let username = entry.username.clone();
        if expired {
            if let Some(account) = self.accounts.get_mut(&username) {
                account.stats.unauthorized += 1;
            }
            return Err(Unauthorized);
        }
        Ok(username)
    }

    pub(crate) fn account_mut(&mut self, username: &str) -> Option<&mut Account> {
        self.accounts.get_mut(username)
    }

    /// Hands out the next SKU id; ids are global, as rows of one shared table are.
    fn next_id(&mut self) -> u64 {
        let id = self.next_sku_id;
        self.next_sku_id += 1;
        id
    }

    /// Inserts a new SKU (even when the external id exists: callers decide about duplicates).
    pub(crate) fn create(&mut self, username: &str, fields: SkuFields, now: &str) -> Option<Sku> {
        let id = self.next_id();
        let account = self.accounts.get_mut(username)?;
        let external_id = fields.external_id.clone().unwrap_or_default();
        let mut sku = Sku {
            id,
            external_id: external_id.clone(),
            name: String::new(),
            reference: Value::Null,
            product_id: Value::Null,
            barcode: Value::Null,
            ean: Value::Null,
            rfid_tag_id: Value::Null,
            properties: json!({}),
            customer_id: account.customer_id.clone(),
            created_at: now.to_string(),
            updated_at: now.to_string(),
        };
        apply(&mut sku, fields);
        account.by_external_id.entry(external_id.clone()).or_default().push(account.skus.len());
        account.by_id.insert(id, account.skus.len());
        *account.creates_by_external_id.entry(external_id).or_insert(0) += 1;
        account.stats.creates += 1;
        account.skus.push(sku.clone());
        Some(sku)
    }

    /// Creates, or updates the first SKU with this external id.
    pub(crate) fn upsert(&mut self, username: &str, fields: SkuFields, now: &str) -> Option<(Outcome, Sku)> {
        let external_id = fields.external_id.clone().unwrap_or_default();
        let existing = self
            .accounts
            .get(username)?
            .by_external_id
            .get(&external_id)
            .and_then(|positions| positions.first().copied());
        match existing {
            Some(position) => self.update_at(username, position, fields, now),
            None => self.create(username, fields, now).map(|sku| (Outcome::Created, sku)),
        }
    }

    /// Position of the SKU with this id in the account.
    pub(crate) fn position_of(&self, username: &str, id: u64) -> Option<usize> {
        self.accounts.get(username)?.by_id.get(&id).copied()
    }

    /// Position of the first SKU with this external id in the account.
    pub(crate) fn position_of_external_id(&self, username: &str, external_id: &str) -> Option<usize> {
        self.accounts.get(username)?.by_external_id.get(external_id).and_then(|positions| positions.first().copied())
    }

    pub(crate) fn sku_at(&self, username: &str, position: usize) -> Option<&Sku> {
        self.accounts.get(username)?.skus.get(position)
    }

    /// Applies the given fields to the SKU at `position`.
    pub(crate) fn update_at(
        &mut self,
        username: &str,
        position: usize,
        fields: SkuFields,
        now: &str,
    ) -> Option<(Outcome, Sku)> {
        let account = self.accounts.get_mut(username)?;
        let sku = account.skus.get_mut(position)?;
        let old_external_id = sku.external_id.clone();
        let before = sku.to_json();
        apply(sku, fields);
        if sku.to_json() == before {
            account.stats.unchanged += 1;
            return Some((Outcome::Unchanged, sku.clone()));
        }
        sku.updated_at = now.to_string();
        let updated = sku.clone();
        if updated.external_id != old_external_id {
            if let Some(positions) = account.by_external_id.get_mut(&old_external_id) {
                positions.retain(|&other| other != position);
            }
            let positions = account.by_external_id.entry(updated.external_id.clone()).or_default();
            positions.push(position);
            positions.sort_unstable();
        }
        account.stats.updates += 1;
        Some((Outcome::Updated, updated))
    }

    /// How many SKUs match (all, or those with this external id), and the JSON of `take` of
    /// them after skipping `skip`, in creation order.
    pub(crate) fn list_page(
        &self,
        username: &str,
        external_id: Option<&str>,
        skip: usize,
        take: usize,
    ) -> (usize, Vec<Value>) {
        let Some(account) = self.accounts.get(username) else {
            return (0, Vec::new());
        };
        match external_id {
            Some(external_id) => {
                let positions = account.by_external_id.get(external_id).map_or(&[][..], Vec::as_slice);
                let page = positions
                    .iter()
                    .skip(skip)
                    .take(take)
                    .filter_map(|&position| account.skus.get(position))
                    .map(Sku::to_json)
                    .collect();
                (positions.len(), page)
            }
            None => {
                let page = account.skus.iter().skip(skip).take(take).map(Sku::to_json).collect();
                (account.skus.len(), page)
            }
        }
    }

    pub(crate) fn skus(&self, username: &str) -> Vec<Value> {
        self.list_page(username, None, 0, usize::MAX).1
    }

    pub(crate) fn stats(&self, username: &str) -> KongStats {
        self.accounts.get(username).map(|account| account.stats).unwrap_or_default()
    }

    pub(crate) fn create_count(&self, username: &str, external_id: &str) -> u32 {
        self.accounts
            .get(username)
            .and_then(|account| account.creates_by_external_id.get(external_id).copied())
            .unwrap_or(0)
    }

    /// Every account's stats and SKUs, for `/_sim/state`.
    pub(crate) fn state(&self) -> Value {
        let mut accounts = Map::new();
        let mut names: Vec<&String> = self.accounts.keys().collect();
        names.sort();
        for name in names {
            if let Some(account) = self.accounts.get(name) {
                accounts.insert(
                    name.clone(),
                    json!({
                        "customer_id": account.customer_id,
                        "stats": account.stats,
                        "skus": account.skus.iter().map(Sku::to_json).collect::<Vec<_>>(),
                    }),
                );
            }
        }
        Value::Object(accounts)
    }
}

fn apply(sku: &mut Sku, fields: SkuFields) {
    if let Some(external_id) = fields.external_id {
        sku.external_id = external_id;
    }
    if let Some(name) = fields.name {
        sku.name = name;
    }
    let optional = [
        (&mut sku.reference, fields.reference),
        (&mut sku.product_id, fields.product_id),
        (&mut sku.barcode, fields.barcode),
        (&mut sku.ean, fields.ean),
        (&mut sku.rfid_tag_id, fields.rfid_tag_id),
    ];
    for (slot, value) in optional {
        if let Some(value) = value {
            *slot = value;
        }
    }
    if let Some(properties) = fields.properties {
        sku.properties = if properties.is_null() { json!({}) } else { properties };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_reports_every_problem() {
        let errors =
            validate(&json!({"external_id": "", "ean": "1234567890123", "rfid_tag_id": "E2", "properties": []}), false)
                .err()
                .unwrap_or_default();
        let mut fields: Vec<&String> = errors.keys().collect();
        fields.sort();
        assert_eq!(fields, ["ean", "external_id", "name", "properties", "rfid_tag_id"]);
    }

    #[test]
    fn a_valid_item_passes() {
        let fields = validate(
            &json!({"external_id": "1042", "name": "BASE", "ean": "7705751519063",
                    "rfid_tag_id": "3035D6525C32B08000000025", "properties": {"COLOR": "GRIS"}}),
            false,
        );
        assert!(fields.is_ok());
        assert!(validate(&json!({"name": "only a name"}), true).is_ok());
    }
}
