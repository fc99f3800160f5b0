//! The adapter registry: `product_type` → a factory that builds the tenant's adapter.

use super::{AdapterContext, ProductAdapter};
use crate::error::{ConnectError, ErrorKind};
use std::collections::BTreeMap;

/// Builds one tenant's adapter from its context.
pub type AdapterFactory = fn(AdapterContext) -> Result<Box<dyn ProductAdapter>, ConnectError>;

/// The known product adapters by `product_type`.
#[derive(Clone, Debug, Default)]
pub struct AdapterRegistry {
    factories: BTreeMap<String, AdapterFactory>,
}

impl AdapterRegistry {
    /// A registry with no adapter.
    pub fn empty() -> AdapterRegistry {
        AdapterRegistry::default()
    }

    /// The adapters shipped with Lading: those listed in `builtin_adapters!` (adapters/mod.rs).
    pub fn builtin() -> AdapterRegistry {
        let mut registry = AdapterRegistry::empty();
        super::register_builtin(&mut registry);
        registry
    }

    /// Registers (or replaces) the factory of `product_type`.
    pub fn register(&mut self, product_type: &str, factory: AdapterFactory) {
        self.factories.insert(product_type.to_string(), factory);
    }

    /// The registered product types, sorted.
    pub fn product_types(&self) -> Vec<&str> {
        self.factories.keys().map(String::as_str).collect()
    }

    /// Builds the adapter of `product_type` for the tenant of `context`.
    pub fn build(&self, product_type: &str, context: AdapterContext) -> Result<Box<dyn ProductAdapter>, ConnectError> {
        match self.factories.get(product_type) {
            Some(factory) => factory(context),
            None => {
                let known = self.product_types();
                let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                Err(ConnectError::new(
                    &context.tenant,
                    "registry",
                    ErrorKind::Config,
                    format!(
                        "no product adapter is named {product_type:?} (known: {known}): fix product_type in the tenant config"
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ClientSettings;
    use lading_core::secret::TargetCredentials;
    use lading_core::{Secret, TenantId};

    fn context() -> AdapterContext {
        AdapterContext {
            tenant: TenantId::parse("acme").unwrap(),
            base_url: "http://127.0.0.1:1".into(),
            credentials: TargetCredentials { username: "ops".into(), password: Secret::new("hunter2") },
            settings: ClientSettings::default(),
        }
    }

    #[test]
    fn builtin_knows_kong_and_wms() {
        let registry = AdapterRegistry::builtin();
        assert_eq!(registry.product_types(), ["kong", "wms"]);
        for product_type in ["kong", "wms"] {
            let adapter = registry.build(product_type, context()).unwrap();
            assert_eq!(adapter.product_type(), product_type);
        }
    }

    #[test]
    fn an_unknown_product_type_lists_the_known_ones() {
        let error = AdapterRegistry::builtin().build("sap", context()).err().unwrap();
        assert_eq!(
            error.to_string(),
            "tenant acme: no product adapter is named \"sap\" (known: kong, wms): fix product_type in the tenant config"
        );
        assert_eq!(error.kind(), &ErrorKind::Config);
    }

    #[test]
    fn a_third_adapter_is_one_registration() {
        let mut registry = AdapterRegistry::builtin();
        registry.register("shelf", crate::adapters::kong::build);
        assert_eq!(registry.product_types(), ["kong", "shelf", "wms"]);
        assert!(registry.build("shelf", context()).is_ok());
    }
}
