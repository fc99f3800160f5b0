//! `lading tenants …` and `lading secrets …`.

use super::{read_input, tenant_id};
use crate::cli::{SecretsCommand, TenantsCommand};
use crate::exit::Failure;
use crate::output;
use lading_core::Secret;
use lading_core::config::{RawTenantConfig, secret_name};
use lading_core::secret::TenantSecrets;
use lading_runtime::Engine;
use lading_runtime::tenants::TenantError;
use std::process::ExitCode;

pub async fn run(engine: &Engine, command: TenantsCommand, json: bool) -> Result<ExitCode, Failure> {
    match command {
        TenantsCommand::Add { file } => {
            let text = read_input(&file)?;
            let raw: RawTenantConfig =
                serde_json::from_str(&text).map_err(|e| Failure::invalid(format!("{}: {e}", file.display())))?;
            let config = lading_runtime::tenants::save(engine, raw).await.map_err(|e| match e {
                TenantError::Store(store) => Failure::from(store),
                invalid => Failure::invalid(invalid.to_string()),
            })?;
            let (action, target) = (lading_runtime::audit::Action::TenantSaved, format!("tenant/{}", config.tenant_id));
            let details = serde_json::json!({"config": config.raw});
            super::audit::record(engine, super::audit::event(action, Some(&config.tenant_id), target, details)).await?;
            if json {
                output::json(&config.raw);
            } else {
                println!(
                    "tenant {} saved ({} → {})",
                    config.tenant_id, config.raw.source.kind, config.raw.product_type
                );
            }
        }
        TenantsCommand::List => {
            let tenants = engine.state.list_tenants().await?;
            if json {
                output::json(&tenants);
            } else {
                println!("{:<16} {:<8} {:<8} {:<28} schedule", "tenant", "product", "enabled", "mapping");
                for t in &tenants {
                    println!(
                        "{:<16} {:<8} {:<8} {:<28} {}",
                        t.tenant_id,
                        t.product_type,
                        t.enabled,
                        t.mapping_key,
                        t.schedule.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        TenantsCommand::Enable { tenant } | TenantsCommand::Disable { tenant } if tenant.is_empty() => {
            return Err(Failure::invalid("a tenant id is required"));
        }
        TenantsCommand::Enable { tenant } => set_enabled(engine, &tenant, true, json).await?,
        TenantsCommand::Disable { tenant } => set_enabled(engine, &tenant, false, json).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_enabled(engine: &Engine, tenant: &str, enabled: bool, json: bool) -> Result<(), Failure> {
    let id = tenant_id(tenant)?;
    engine.state.set_tenant_enabled(&id, enabled).await?;
    let action = if enabled {
        lading_runtime::audit::Action::TenantEnabled
    } else {
        lading_runtime::audit::Action::TenantDisabled
    };
    super::audit::record(engine, super::audit::event(action, Some(&id), format!("tenant/{id}"), serde_json::json!({})))
        .await?;
    if json {
        output::json(&serde_json::json!({"tenant_id": tenant, "enabled": enabled}));
    } else {
        println!("tenant {tenant} {}", if enabled { "enabled" } else { "disabled" });
    }
    Ok(())
}

pub async fn secrets(engine: &Engine, command: SecretsCommand, json: bool) -> Result<ExitCode, Failure> {
    match command {
        SecretsCommand::Set { tenant, product_type, file } => {
            let id = tenant_id(&tenant)?;
            let product_type = match product_type {
                Some(p) => p,
                None => engine.tenant(&id).await?.raw.product_type,
            };
            let text = read_input(&file)?;
            // serde's messages may quote the offending value, which could be a secret: keep
            // only the position and the field names it mentions.
            let parsed: TenantSecrets = serde_json::from_str(&text).map_err(|e| {
                let hint = if e.to_string().contains("unknown field") || e.to_string().contains("missing field") {
                    e.to_string().split(" at line").next().unwrap_or_default().to_string()
                } else {
                    "not the expected JSON".to_string()
                };
                Failure::invalid(format!(
                    "tenant {tenant}: secret at line {} column {}: {hint}; expected {{\"siesa\": {{\"conni_key\", \"conni_token\"}}, \"target\": {{\"username\", \"password\"}}}}",
                    e.line(),
                    e.column()
                ))
            })?;
            let normalised = serde_json::to_string(&parsed).map_err(Failure::internal)?;
            let name = secret_name(&id, &product_type);
            engine.secrets.put_secret(&name, &Secret::new(normalised)).await?;
            let (action, details) = (lading_runtime::audit::Action::SecretSet, serde_json::json!({"name": name}));
            super::audit::record(engine, super::audit::event(action, Some(&id), format!("secret/{name}"), details))
                .await?;
            if json {
                output::json(&serde_json::json!({"name": name}));
            } else {
                println!("secret {name} stored (encrypted)");
            }
        }
        SecretsCommand::List => {
            let names = engine.secrets.list_secret_names().await?;
            if json {
                output::json(&names);
            } else {
                for name in names {
                    println!("{name}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
