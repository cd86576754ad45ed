//! The JNI boundary: thin entry points for `app.veto.core.VetoNative` (libveto.so).
//!
//! Each entry point copies its `String` arguments out of Java, calls the plain-Rust function
//! in [`ops`], and copies the JSON result back. Every failure and every panic becomes an
//! `app.veto.core.VetoException` in [`error`]; nothing unwinds into the JVM. There is no global
//! state besides logging and the TLS set-up ([`tls`]): everything lasting lives in the files
//! under `stateDir`.

mod error;
mod ops;
mod reporting;
mod setup;
mod tls;

use std::path::PathBuf;

use jni::objects::{JClass, JObject, JString};
use jni::sys::jlong;
use jni::{Env, EnvUnowned};
use veto_core::error::{Error, ErrorKind};
use veto_core::time::Timestamp;

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

/// `VetoNative.evaluate(inventory, managedConfig, capabilities, stateDir, nowMillis)`: the plan.
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
        let state_dir = PathBuf::from(argument(env, &state_dir, ErrorKind::Io, "stateDir")?);
        let plan = ops::evaluate(
            &inventory,
            &managed_config,
            &capabilities,
            &state_dir,
            Timestamp::from_millis(now_millis),
        )?;
        Ok(env.new_string(plan)?)
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
        let state_dir = PathBuf::from(argument(env, &state_dir, ErrorKind::Io, "stateDir")?);
        let summary = ops::record(&outcomes, &state_dir, Timestamp::from_millis(now_millis))?;
        Ok(env.new_string(summary)?)
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
    env.with_env(|env| {
        network_call(env, &managed_config, &state_dir, now_millis, |c, d, t| {
            ops::sync_policy(c, d, t, tls::net)
        })
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
    env.with_env(|env| {
        network_call(env, &managed_config, &state_dir, now_millis, |c, d, t| {
            ops::flush_reports(c, d, t, tls::net)
        })
    })
    .resolve::<ThrowVetoException>()
}

/// The shared body of the network entry points: same arguments, one operation.
fn network_call<'local>(
    env: &mut Env<'local>,
    managed_config: &JString<'_>,
    state_dir: &JString<'_>,
    now_millis: jlong,
    operation: impl FnOnce(&str, &std::path::Path, Timestamp) -> veto_core::Result<String>,
) -> Result<JString<'local>, Failure> {
    let managed_config = argument(
        env,
        managed_config,
        ErrorKind::BadManagedConfig,
        "managedConfig",
    )?;
    let state_dir = PathBuf::from(argument(env, state_dir, ErrorKind::Io, "stateDir")?);
    let json = operation(
        &managed_config,
        &state_dir,
        Timestamp::from_millis(now_millis),
    )?;
    Ok(env.new_string(json)?)
}

/// `VetoNative.version()`: `{"veto": "<version>", "catalog": {"version": N, "entries": M}}`.
#[no_mangle]
pub extern "system" fn Java_app_veto_core_VetoNative_version<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JString<'local> {
    env.with_env(|env| -> Result<JString<'local>, Failure> { Ok(env.new_string(ops::version())?) })
        .resolve::<ThrowVetoException>()
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
            let key = ops::store_feed_policy_for_test(
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
            let kind = error::kind_from_code(&code).ok_or_else(|| {
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
