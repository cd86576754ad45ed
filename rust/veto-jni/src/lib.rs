//! The JNI boundary: thin entry points for `app.veto.core.VetoNative` (libveto.so).
//!
//! Each entry point copies its `String` arguments out of Java, reads the JSON documents into
//! `veto-core`'s types, calls `veto_agent::Device` (which holds all of the device's logic), and
//! copies the resulting document back as JSON. Every failure and every panic becomes an
//! `app.veto.core.VetoException` in [`error`]; nothing unwinds into the JVM. Process-wide state
//! is only logging ([`setup`]) and the TLS set-up and proxy ([`tls`]): everything lasting lives
//! in the files under `stateDir`.

mod error;
mod setup;
mod tls;

use std::path::PathBuf;

use jni::objects::{JClass, JObject, JString};
use jni::sys::jlong;
use jni::{Env, EnvUnowned};
use veto_agent::Device;
use veto_core::error::{Error, ErrorKind};
use veto_core::{Capabilities, Inventory, Outcomes, Timestamp};

use crate::error::{Failure, ThrowVetoException};

/// `VetoNative.init()`: logging and the panic hook; safe to call twice.
#[no_mangle]
pub extern "system" fn Java_app_veto_core_VetoNative_init<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) {
    env.with_env(|_env| -> Result<(), Failure> {
        setup::init();
        Ok(())
    })
    .resolve::<ThrowVetoException>()
}

/// `VetoNative.evaluate(inventory, managedConfig, capabilities, stateDir, nowMillis)`: the plan
/// with the keyed app states (`veto_core::report::Evaluation`).
#[no_mangle]
pub extern "system" fn Java_app_veto_core_VetoNative_evaluate<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    inventory: JString<'local>,
    managed_config: JString<'local>,
    capabilities: JString<'local>,
    state_dir: JString<'local>,
    now_millis: jlong,
) -> JString<'local> {
    env.with_env(|env| -> Result<JString<'local>, Failure> {
        let inventory = argument(env, &inventory, ErrorKind::BadInventory, "inventory")?;
        let inventory = Inventory::from_json(&inventory)?;
        // A missing configuration is a bad one: it falls back to the last good policy (the
        // core reports JSON `null` as "expected a JSON object") instead of failing.
        let managed_config = if managed_config.is_null() {
            "null".to_owned()
        } else {
            managed_config.try_to_string(env)?
        };
        let capabilities = argument(
            env,
            &capabilities,
            ErrorKind::BadCapabilities,
            "capabilities",
        )?;
        let capabilities = Capabilities::from_json(&capabilities)?;
        let evaluation = device(env, &state_dir)?.evaluate(
            &inventory,
            &managed_config,
            &capabilities,
            Timestamp::from_millis(now_millis),
        )?;
        Ok(env.new_string(evaluation.to_json())?)
    })
    .resolve::<ThrowVetoException>()
}

/// `VetoNative.record(outcomes, stateDir, nowMillis)`: a short JSON summary.
#[no_mangle]
pub extern "system" fn Java_app_veto_core_VetoNative_record<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    outcomes: JString<'local>,
    state_dir: JString<'local>,
    now_millis: jlong,
) -> JString<'local> {
    env.with_env(|env| -> Result<JString<'local>, Failure> {
        let outcomes = argument(env, &outcomes, ErrorKind::BadOutcomes, "outcomes")?;
        let outcomes = Outcomes::from_json(&outcomes)?;
        let recorded =
            device(env, &state_dir)?.record(&outcomes, Timestamp::from_millis(now_millis))?;
        Ok(env.new_string(recorded.to_json())?)
    })
    .resolve::<ThrowVetoException>()
}

/// `VetoNative.initTls(context)`: hands the application context to Android's certificate
/// verifier (needed once before `syncPolicy` / `flushReports`); a no-op on a host.
#[no_mangle]
pub extern "system" fn Java_app_veto_core_VetoNative_initTls<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    context: JObject<'local>,
) {
    env.with_env(|env| -> Result<(), Failure> { tls::init(env, context) })
        .resolve::<ThrowVetoException>()
}

/// `VetoNative.setProxy(proxyJson)`: the proxy for every later sync and flush in this process.
#[no_mangle]
pub extern "system" fn Java_app_veto_core_VetoNative_setProxy<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    proxy_json: JString<'local>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let json = argument(env, &proxy_json, ErrorKind::BadManagedConfig, "proxyJson")?;
        Ok(tls::set_proxy(&json)?)
    })
    .resolve::<ThrowVetoException>()
}

/// `VetoNative.syncPolicy(managedConfig, stateDir, nowMillis)`: the feed's sync status JSON.
#[no_mangle]
pub extern "system" fn Java_app_veto_core_VetoNative_syncPolicy<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    managed_config: JString<'local>,
    state_dir: JString<'local>,
    now_millis: jlong,
) -> JString<'local> {
    env.with_env(|env| -> Result<JString<'local>, Failure> {
        let (config, device, now) =
            network_arguments(env, &managed_config, &state_dir, now_millis)?;
        let report = device.sync_policy(&config, now, tls::net)?;
        Ok(env.new_string(report.to_json())?)
    })
    .resolve::<ThrowVetoException>()
}

/// `VetoNative.flushReports(managedConfig, stateDir, nowMillis)`: the flush summary JSON.
#[no_mangle]
pub extern "system" fn Java_app_veto_core_VetoNative_flushReports<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    managed_config: JString<'local>,
    state_dir: JString<'local>,
    now_millis: jlong,
) -> JString<'local> {
    env.with_env(|env| -> Result<JString<'local>, Failure> {
        let (config, device, now) =
            network_arguments(env, &managed_config, &state_dir, now_millis)?;
        let summary = device.flush_reports(&config, now, tls::net)?;
        Ok(env.new_string(summary.to_json())?)
    })
    .resolve::<ThrowVetoException>()
}

/// `VetoNative.version()`: `{"veto": "<version>", "catalog": {"version": N, "entries": M}}`.
#[no_mangle]
pub extern "system" fn Java_app_veto_core_VetoNative_version<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JString<'local> {
    env.with_env(|env| -> Result<JString<'local>, Failure> {
        Ok(env.new_string(veto_agent::version().to_json())?)
    })
    .resolve::<ThrowVetoException>()
}

/// The arguments `syncPolicy` and `flushReports` share: the managed configuration, the device,
/// the time.
fn network_arguments(
    env: &Env<'_>,
    managed_config: &JString<'_>,
    state_dir: &JString<'_>,
    now_millis: jlong,
) -> Result<(String, Device, Timestamp), Failure> {
    let config = argument(
        env,
        managed_config,
        ErrorKind::BadManagedConfig,
        "managedConfig",
    )?;
    Ok((
        config,
        device(env, state_dir)?,
        Timestamp::from_millis(now_millis),
    ))
}

/// The device whose state directory is the `stateDir` argument.
fn device(env: &Env<'_>, state_dir: &JString<'_>) -> Result<Device, Failure> {
    let state_dir = argument(env, state_dir, ErrorKind::Io, "stateDir")?;
    Ok(Device::new(PathBuf::from(state_dir)))
}

/// Copies a `String` argument out of Java; a `null` (possible only from Java callers) is
/// reported as bad input of `kind`, naming the parameter.
fn argument(
    env: &Env<'_>,
    value: &JString<'_>,
    kind: ErrorKind,
    name: &str,
) -> Result<String, Failure> {
    if value.is_null() {
        return Err(Error::new(kind, format!("{name}: null instead of a string")).into());
    }
    Ok(value.try_to_string(env)?)
}

/// Entry points for the JVM tests only (`--features test-hooks`); see
/// `android/src/test/kotlin/app/veto/core/VetoTestHooks.kt`.
#[cfg(feature = "test-hooks")]
mod test_hooks {
    use super::*;

    /// `VetoTestHooks.panicForTest(message)`: panics with `message`, to prove the panic comes
    /// back as `VetoException("internal", …)` and the JVM survives.
    #[no_mangle]
    pub extern "system" fn Java_app_veto_core_VetoTestHooks_panicForTest<'local>(
        mut env: EnvUnowned<'local>,
        _class: JClass<'local>,
        message: JString<'local>,
    ) -> JString<'local> {
        env.with_env(|env| -> Result<JString<'local>, Failure> {
            let message = argument(env, &message, ErrorKind::Internal, "message")?;
            panic!("{message}");
        })
        .resolve::<ThrowVetoException>()
    }

    /// `VetoTestHooks.storeFeedPolicyForTest(stateDir, policyJson, nowMillis)`: stores
    /// `policyJson` as the feed's last good policy, signed with a fixed test key, as a
    /// successful sync would; returns the public key to configure as `policy_public_key`.
    #[no_mangle]
    pub extern "system" fn Java_app_veto_core_VetoTestHooks_storeFeedPolicyForTest<'local>(
        mut env: EnvUnowned<'local>,
        _class: JClass<'local>,
        state_dir: JString<'local>,
        policy_json: JString<'local>,
        now_millis: jlong,
    ) -> JString<'local> {
        env.with_env(|env| -> Result<JString<'local>, Failure> {
            let state_dir = PathBuf::from(argument(env, &state_dir, ErrorKind::Io, "stateDir")?);
            let policy_json = argument(env, &policy_json, ErrorKind::BadPolicy, "policyJson")?;
            let key = veto_agent::testing::store_feed_policy_for_test(
                &state_dir,
                &policy_json,
                Timestamp::from_millis(now_millis),
            )?;
            Ok(env.new_string(key)?)
        })
        .resolve::<ThrowVetoException>()
    }

    /// `VetoTestHooks.failForTest(kind, message)`: fails with a core error of the kind whose
    /// code is `kind`, to prove every kind reaches Java unchanged.
    #[no_mangle]
    pub extern "system" fn Java_app_veto_core_VetoTestHooks_failForTest<'local>(
        mut env: EnvUnowned<'local>,
        _class: JClass<'local>,
        kind: JString<'local>,
        message: JString<'local>,
    ) -> JString<'local> {
        env.with_env(|env| -> Result<JString<'local>, Failure> {
            let code = argument(env, &kind, ErrorKind::Internal, "kind")?;
            let message = argument(env, &message, ErrorKind::Internal, "message")?;
            let kind = ErrorKind::from_code(&code).ok_or_else(|| {
                Error::new(
                    ErrorKind::Internal,
                    format!("kind: no error kind has code {code:?}"),
                )
            })?;
            Err(Error::new(kind, message).into())
        })
        .resolve::<ThrowVetoException>()
    }
}
