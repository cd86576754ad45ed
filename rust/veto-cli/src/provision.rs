//! `veto provision qr`: the Android Enterprise QR-code provisioning payload that makes Veto
//! the device's DPC, with the checksum of the APK's signing certificate read from the APK
//! itself (see `apk.rs`), so that a payload never names a certificate the APK lacks.

use crate::apk;
use base64::Engine as _;
use clap::{Args, ValueEnum};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Veto's device admin receiver, as the provisioning payload names it (CONTRACTS item 5).
pub const ADMIN_COMPONENT: &str = "app.veto/app.veto.trigger.VetoAdminReceiver";

const EXTRA: &str = "android.app.extra.PROVISIONING_";

/// `veto provision qr` options.
#[derive(Args)]
pub struct QrArgs {
    /// The signed Veto APK the phone downloads during setup (APK Signature Scheme v2 or v3).
    #[arg(long, value_name = "FILE")]
    apk: PathBuf,
    /// Where the phone downloads that APK from during setup (https://).
    #[arg(long, value_name = "URL")]
    url: String,
    /// Do not encrypt the device during setup (PROVISIONING_SKIP_ENCRYPTION).
    #[arg(long)]
    skip_encryption: bool,
    /// Keep the system apps the setup would disable (PROVISIONING_LEAVE_ALL_SYSTEM_APPS_ENABLED).
    #[arg(long)]
    leave_system_apps_enabled: bool,
    /// Download over mobile data too (PROVISIONING_USE_MOBILE_DATA, Android 10 and later).
    #[arg(long)]
    use_mobile_data: bool,
    /// Wi-Fi network the phone joins for the download.
    #[arg(long, value_name = "SSID")]
    wifi_ssid: Option<String>,
    /// Its security type.
    #[arg(long, value_enum, requires = "wifi_ssid")]
    wifi_security: Option<WifiSecurity>,
    /// Its password.
    #[arg(long, value_name = "PASSWORD", requires = "wifi_ssid")]
    wifi_password: Option<String>,
    /// An entry of the admin extras bundle handed to Veto at setup, KEY=VALUE (a string;
    /// repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    extra: Vec<String>,
    /// Admin extras from a JSON object of string, whole-number and true/false values.
    #[arg(long, value_name = "FILE")]
    extras: Option<PathBuf>,
}

/// Wi-Fi security types the provisioning payload accepts.
#[derive(Clone, Copy, ValueEnum)]
pub enum WifiSecurity {
    None,
    Wpa,
    Wep,
    Eap,
}

/// The signature checksum the payload carries: SHA-256 of the certificate, URL-safe
/// base64 without padding.
pub fn signature_checksum(cert_der: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(cert_der))
}

fn check_url(url: &str) -> Result<(), String> {
    let host = url
        .strip_prefix("https://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => Ok(()),
        Some(_) => Err(format!("--url: no host in {url:?}")),
        None => Err(format!(
            "--url: the phone downloads Veto from this address during setup and needs https://, found {url:?}"
        )),
    }
}

fn admin_extras(args: &QrArgs) -> Result<Map<String, Value>, String> {
    let mut extras = Map::new();
    if let Some(path) = &args.extras {
        let shown = path.display();
        let text = crate::input::read_text(path, "--extras").map_err(|e| e.0)?;
        let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .map_err(|e| format!("--extras {shown}: not valid JSON: {e}"))?;
        let Value::Object(obj) = value else {
            return Err(format!(
                "--extras {shown}: expected a JSON object of key → value"
            ));
        };
        for (k, v) in obj {
            match &v {
                Value::String(_) | Value::Bool(_) => {}
                Value::Number(n) if n.is_i64() => {}
                other => {
                    return Err(format!(
                        "--extras {shown}: {k}: expected a string, a whole number or true/false, found {other}"
                    ))
                }
            }
            extras.insert(k, v);
        }
    }
    for e in &args.extra {
        let Some((k, v)) = e.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(format!("--extra {e:?}: expected KEY=VALUE"));
        };
        extras.insert(k.trim().to_string(), Value::String(v.to_string()));
    }
    Ok(extras)
}

/// Builds the payload, or says what is wrong with the APK or an option.
pub fn qr_payload(args: &QrArgs) -> Result<Value, String> {
    check_url(&args.url)?;
    let shown = args.apk.display();
    if args.apk.is_dir() {
        return Err(format!("--apk {shown}: is a directory, not a file"));
    }
    let bytes = std::fs::read(&args.apk).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("--apk {shown}: no such file"),
        _ => format!("--apk {shown}: cannot read: {e}"),
    })?;
    let cert = apk::signing_certificate(&bytes).map_err(|why| format!("--apk {shown}: {why}"))?;
    let mut p = Map::new();
    let mut put = |key: &str, v: Value| p.insert(format!("{EXTRA}{key}"), v);
    put("DEVICE_ADMIN_COMPONENT_NAME", ADMIN_COMPONENT.into());
    put(
        "DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION",
        args.url.clone().into(),
    );
    put(
        "DEVICE_ADMIN_SIGNATURE_CHECKSUM",
        signature_checksum(&cert.der).into(),
    );
    if args.skip_encryption {
        put("SKIP_ENCRYPTION", true.into());
    }
    if args.leave_system_apps_enabled {
        put("LEAVE_ALL_SYSTEM_APPS_ENABLED", true.into());
    }
    if args.use_mobile_data {
        put("USE_MOBILE_DATA", true.into());
    }
    if let Some(ssid) = &args.wifi_ssid {
        put("WIFI_SSID", ssid.clone().into());
        if let Some(sec) = args.wifi_security {
            let name = match sec {
                WifiSecurity::None => "NONE",
                WifiSecurity::Wpa => "WPA",
                WifiSecurity::Wep => "WEP",
                WifiSecurity::Eap => "EAP",
            };
            put("WIFI_SECURITY_TYPE", name.into());
        }
        if let Some(pw) = &args.wifi_password {
            put("WIFI_PASSWORD", pw.clone().into());
        }
    }
    let extras = admin_extras(args)?;
    if !extras.is_empty() {
        put("ADMIN_EXTRAS_BUNDLE", Value::Object(extras));
    }
    Ok(Value::Object(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_url_safe_base64_of_sha256_without_padding() {
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad
        assert_eq!(
            signature_checksum(b"abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    #[test]
    fn url_must_be_https_with_a_host() {
        assert!(check_url("https://mdm.example.org/veto.apk").is_ok());
        assert_eq!(
            check_url("http://mdm.example.org/veto.apk").unwrap_err(),
            "--url: the phone downloads Veto from this address during setup and needs https://, found \"http://mdm.example.org/veto.apk\""
        );
        assert_eq!(
            check_url("https:///veto.apk").unwrap_err(),
            "--url: no host in \"https:///veto.apk\""
        );
    }
}
