//! The WMS's data: users, issued token uses, per-user products, and product validation that
//! reports every problem in the WMS's `details` list.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{WmsStats, WmsUser};
use crate::gtin::is_valid_ean13;

/// The product fields in the order the API shows them (after `id`).
const FIELDS: [&str; 11] = [
    "name",
    "display_name",
    "external_id",
    "reference_id",
    "barcode_type",
    "barcode",
    "status",
    "inventory_unit",
    "presentation",
    "properties",
    "groups",
];

pub(crate) type Product = Map<String, Value>;

fn external_id_of(product: &Product) -> Option<String> {
    product.get("external_id").and_then(Value::as_str).map(str::to_string)
}

fn detail(field: &str, message: &str) -> Value {
    json!({ "field": field, "message": message })
}

/// Validates the fields of a product body; `partial` (a PATCH) makes `name` optional.
/// Returns the given fields, or every problem found. Unknown fields are dropped.
pub(crate) fn validate(body: &Value, partial: bool) -> Result<Product, Vec<Value>> {
    let Some(object) = body.as_object() else {
        return Err(vec![detail("body", "expected a JSON object")]);
    };
    let mut details = Vec::new();
    let mut fields = Product::new();
    for field in FIELDS {
        let Some(value) = object.get(field) else {
            continue;
        };
        let valid = match field {
            "name" => value.as_str().is_some_and(|name| !name.trim().is_empty()),
            "status" => matches!(value.as_str(), Some("ACTIVE" | "INACTIVE")),
            "properties" => value.is_object() || value.is_null(),
            "groups" => value.is_null() || value.as_array().is_some_and(|groups| groups.iter().all(Value::is_string)),
            _ => value.is_string() || value.is_null(),
        };
        if valid {
            fields.insert(field.to_string(), value.clone());
        } else {
            let message = match field {
                "name" => "name must be a non-empty string",
                "status" => "status must be one of ACTIVE, INACTIVE",
                "properties" => "properties must be an object",
                "groups" => "groups must be a list of strings",
                _ => "must be a string or null",
            };
            details.push(detail(field, message));
        }
    }
    if !partial && !fields.contains_key("name") && !details.iter().any(|d| d["field"] == "name") {
        details.push(detail("name", "name is required"));
    }
    if details.is_empty() { Ok(fields) } else { Err(details) }
}

/// Rules across fields, checked on the product as it would be stored.
pub(crate) fn check_product(product: &Product) -> Vec<Value> {
    let mut details = Vec::new();
    if product.get("barcode_type").and_then(Value::as_str) == Some("EAN13") {
        let barcode = product.get("barcode").and_then(Value::as_str).unwrap_or("");
        if !is_valid_ean13(barcode) {
            details.push(detail("barcode", "barcode_type EAN13 requires a 13-digit barcode with a valid check digit"));
        }
    }
    details
}

struct User {
    password: String,
    products: Vec<Product>,
    /// Positions in `products` by id, and by external id in creation order.
    by_id: HashMap<String, usize>,
    by_external_id: HashMap<String, Vec<usize>>,
    creates_by_external_id: HashMap<String, u32>,
    stats: WmsStats,
}

pub(crate) struct WmsStore {
    users: HashMap<String, User>,
    /// Uses of each issued token, by its `jti`.
    token_uses: HashMap<String, u32>,
}

impl WmsStore {
    pub(crate) fn new(users: &[WmsUser]) -> Result<Self, String> {
        let mut store = Self { users: HashMap::new(), token_uses: HashMap::new() };
        for user in users {
            let previous = store.users.insert(
                user.username.clone(),
                User {
                    password: user.password.clone(),
                    products: Vec::new(),
                    by_id: HashMap::new(),
                    by_external_id: HashMap::new(),
                    creates_by_external_id: HashMap::new(),
                    stats: WmsStats::default(),
                },
            );
            if previous.is_some() {
                return Err(format!("duplicate wms user {}", user.username));
            }
        }
        Ok(store)
    }

    pub(crate) fn has_user(&self, username: &str) -> bool {
        self.users.contains_key(username)
    }

    /// Checks a password; on success records the login and the new token's `jti`.
    pub(crate) fn login(&mut self, username: &str, password: &str, jti: &str) -> bool {
        let Some(user) = self.users.get_mut(username) else {
            return false;
        };
        if user.password != password {
            user.stats.unauthorized += 1;
            return false;
        }
        user.stats.logins += 1;
        self.token_uses.insert(jti.to_string(), 0);
        true
    }

    /// Counts one use of a token; false once it has been used more than `ttl_requests` times
    /// or was never issued by this simulator.
    pub(crate) fn use_token(&mut self, jti: &str, ttl_requests: Option<u32>) -> bool {
        let Some(uses) = self.token_uses.get_mut(jti) else {
            return false;
        };
        *uses = uses.saturating_add(1);
        ttl_requests.is_none_or(|ttl| *uses <= ttl)
    }

    pub(crate) fn count_unauthorized(&mut self, username: &str) {
        if let Some(user) = self.users.get_mut(username) {
            user.stats.unauthorized += 1;
        }
    }

    pub(crate) fn count_conflict(&mut self, username: &str) {
        if let Some(user) = self.users.get_mut(username) {
            user.stats.conflicts += 1;
        }
    }

    pub(crate) fn position_of_external_id(&self, username: &str, external_id: &str) -> Option<usize> {
        self.users.get(username)?.by_external_id.get(external_id)?.first().copied()
    }

    pub(crate) fn position_of(&self, username: &str, id: &str) -> Option<usize> {
        self.users.get(username)?.by_id.get(id).copied()
    }

    pub(crate) fn product_at(&self, username: &str, position: usize) -> Option<&Product> {
        self.users.get(username)?.products.get(position)
    }

    /// Stores a new product built from validated `fields`.
    pub(crate) fn create(&mut self, username: &str, id: String, fields: Product, now: &str) -> Option<Value> {
        let user = self.users.get_mut(username)?;
        let mut product = Product::new();
        product.insert("id".to_string(), json!(&id));
        for field in FIELDS {
            let default = match field {
                "status" => json!("ACTIVE"),
                "properties" => json!({}),
                "groups" => json!([]),
                _ => Value::Null,
            };
            product.insert(field.to_string(), fields.get(field).cloned().unwrap_or(default));
        }
        product.insert("created_at".to_string(), json!(now));
        product.insert("updated_at".to_string(), json!(now));
        let position = user.products.len();
        user.by_id.insert(id, position);
        if let Some(external_id) = external_id_of(&product) {
            *user.creates_by_external_id.entry(external_id.clone()).or_insert(0) += 1;
            user.by_external_id.entry(external_id).or_default().push(position);
        }
        user.stats.creates += 1;
        user.products.push(product.clone());
        Some(Value::Object(product))
    }

    /// Applies validated `fields` to the product at `position`; the merged product must pass
    /// the cross-field rules or nothing changes.
    pub(crate) fn patch(
        &mut self,
        username: &str,
        position: usize,
        fields: Product,
        now: &str,
    ) -> Option<Result<Value, Vec<Value>>> {
        let user = self.users.get_mut(username)?;
        let stored = user.products.get_mut(position)?;
        let mut merged = stored.clone();
        for (field, value) in fields {
            let value = match (field.as_str(), value) {
                ("properties", Value::Null) => json!({}),
                ("groups", Value::Null) => json!([]),
                (_, value) => value,
            };
            merged.insert(field, value);
        }
        let details = check_product(&merged);
        if !details.is_empty() {
            return Some(Err(details));
        }
        merged.insert("updated_at".to_string(), json!(now));
        let old_external_id = external_id_of(stored);
        let new_external_id = external_id_of(&merged);
        *stored = merged.clone();
        if old_external_id != new_external_id {
            if let Some(positions) = old_external_id.and_then(|old| user.by_external_id.get_mut(&old)) {
                positions.retain(|&other| other != position);
            }
            if let Some(new) = new_external_id {
                let positions = user.by_external_id.entry(new).or_default();
                positions.push(position);
                positions.sort_unstable();
            }
        }
        user.stats.patches += 1;
        Some(Ok(Value::Object(merged)))
    }

    /// The user's products with this external id (all when `None`), in creation order.
    pub(crate) fn list(&self, username: &str, external_id: Option<&str>) -> Vec<&Product> {
        let Some(user) = self.users.get(username) else {
            return Vec::new();
        };
        match external_id {
            Some(external_id) => user
                .by_external_id
                .get(external_id)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(|&position| user.products.get(position))
                .collect(),
            None => user.products.iter().collect(),
        }
    }

    pub(crate) fn products(&self, username: &str) -> Vec<Value> {
        self.list(username, None).into_iter().map(|product| Value::Object(product.clone())).collect()
    }

    pub(crate) fn stats(&self, username: &str) -> WmsStats {
        self.users.get(username).map(|user| user.stats).unwrap_or_default()
    }

    pub(crate) fn create_count(&self, username: &str, external_id: &str) -> u32 {
        self.users.get(username).and_then(|user| user.creates_by_external_id.get(external_id).copied()).unwrap_or(0)
    }

    /// Every user's stats and products, for `/_sim/state`.
    pub(crate) fn state(&self) -> Value {
        let mut names: Vec<&String> = self.users.keys().collect();
        names.sort();
        let mut users = Map::new();
        for name in names {
            if let Some(user) = self.users.get(name) {
                users.insert(name.clone(), json!({ "stats": user.stats, "products": user.products }));
            }
        }
        Value::Object(users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_reports_every_problem() {
        let details = validate(&json!({"status": "active", "groups": [1]}), false).err().unwrap_or_default();
        let fields: Vec<&Value> = details.iter().map(|detail| &detail["field"]).collect();
        assert_eq!(fields, [&json!("status"), &json!("groups"), &json!("name")]);
    }

    #[test]
    fn ean13_barcodes_must_be_valid() {
        let product = validate(&json!({"name": "X", "barcode_type": "EAN13", "barcode": "1234567890123"}), false)
            .unwrap_or_default();
        assert_eq!(check_product(&product).len(), 1);
        let product = validate(
            &json!({"name": "X", "barcode_type": "EAN13", "barcode": "1234567890128",
                    "properties": {"weigth": 1.5, "hight": 20}}),
            false,
        )
        .unwrap_or_default();
        assert!(check_product(&product).is_empty());
    }
}
