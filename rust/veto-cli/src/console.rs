//! EMM console shapes of Veto's managed configuration, read and written by the CLI:
//! the Android Management API (`managedConfiguration` of an `ApplicationPolicy`, or a whole
//! policy with `applications`), Intune's and the Play EMM API's `managedProperty` list, and
//! the flat key → value object the phone itself sees. The phone only ever gets the flat
//! keys; these shapes exist on administrators' desks, so they live here, not in the core.

use serde_json::{Map, Value};
use veto_core::config::{KeyType, KEYS};
use veto_core::policy::POLICY_KEYS;
use veto_core::Policy;

/// Veto's package name, as consoles name the app.
pub const PACKAGE: &str = "app.veto";

/// What a JSON file holds, judged by its shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A policy document (it has `version`, or only policy keys).
    Policy,
    /// A managed configuration, normalised to flat key-to-value, and the console it came in.
    Config(Map<String, Value>, &'static str),
    /// Neither: the reason, naming what was looked for.
    Neither(String),
}

fn is_config_key(key: &str) -> bool {
    KEYS.iter().any(|k| k.name == key)
}

/// Intune / Play EMM `managedProperty` entries to flat keys.
fn from_managed_properties(list: &[Value], at: &str) -> Result<Map<String, Value>, String> {
    let mut flat = Map::new();
    for (i, item) in list.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            return Err(format!("{at}[{i}]: expected an object with \"key\""));
        };
        let Some(key) = obj.get("key").and_then(Value::as_str) else {
            return Err(format!("{at}[{i}]: no \"key\""));
        };
        let value = [
            "valueString",
            "valueBool",
            "valueInteger",
            "valueStringArray",
        ]
        .iter()
        .find_map(|v| obj.get(*v))
        .cloned()
        .ok_or_else(|| {
            format!(
                "{at}[{i}] ({key}): no valueString, valueBool, valueInteger or valueStringArray"
            )
        })?;
        flat.insert(key.to_string(), value);
    }
    Ok(flat)
}

/// Judges what `value` is, and normalises a console's configuration to flat keys.
pub fn shape(value: &Value) -> Shape {
    let obj = match value {
        Value::Object(o) => o,
        Value::Array(a) if a.iter().all(|i| i.get("key").is_some()) && !a.is_empty() => {
            return match from_managed_properties(a, "managedProperty") {
                Ok(flat) => Shape::Config(flat, "managedProperty list (Intune)"),
                Err(e) => Shape::Neither(e),
            };
        }
        _ => {
            return Shape::Neither(
                "expected a JSON object (a policy document or a managed configuration)".into(),
            )
        }
    };
    if let Some(format) = obj
        .get("format")
        .and_then(Value::as_str)
        .filter(|f| f.starts_with("veto-signed-policy/"))
    {
        return Shape::Neither(format!(
            "this is a signed policy envelope ({format}), not a policy document; check it as a phone would with `veto policy verify --key PUBLIC_KEY FILE`"
        ));
    }
    // A whole AMAPI policy: the app's entry in "applications".
    if let Some(apps) = obj.get("applications").and_then(Value::as_array) {
        let app = apps
            .iter()
            .find(|a| a.get("packageName").and_then(Value::as_str) == Some(PACKAGE));
        return match app {
            Some(app) => match app.get("managedConfiguration") {
                Some(Value::Object(mc)) => {
                    Shape::Config(mc.clone(), "Android Management API policy")
                }
                _ => Shape::Neither(format!(
                    "an Android Management API policy whose {PACKAGE} application has no managedConfiguration object"
                )),
            },
            None => Shape::Neither(format!(
                "an Android Management API policy without an application with packageName {PACKAGE:?}"
            )),
        };
    }
    if let Some(mc) = obj.get("managedConfiguration") {
        return match mc {
            Value::Object(mc) => Shape::Config(mc.clone(), "Android Management API application"),
            _ => Shape::Neither("managedConfiguration: expected an object of key → value".into()),
        };
    }
    if let Some(props) = obj.get("managedProperty") {
        return match props.as_array() {
            Some(list) => match from_managed_properties(list, "managedProperty") {
                Ok(flat) => Shape::Config(flat, "Intune managedProperty"),
                Err(e) => Shape::Neither(e),
            },
            None => Shape::Neither("managedProperty: expected a list".into()),
        };
    }
    if obj.contains_key("version") {
        return Shape::Policy;
    }
    if obj.is_empty() || obj.keys().any(|k| is_config_key(k)) {
        return Shape::Config(obj.clone(), "managed-configuration export");
    }
    if obj.keys().all(|k| POLICY_KEYS.contains(&k.as_str())) {
        // Policy keys without "version": the policy parser names what is missing.
        return Shape::Policy;
    }
    Shape::Neither(format!(
        "neither a policy document (no \"version\") nor a managed configuration: none of its keys ({}) is one Veto knows, such as \"denied_packages\", and it is no Android Management API managedConfiguration or Intune managedProperty list",
        obj.keys()
            .take(5)
            .map(|k| format!("{k:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The console formats `veto policy export` writes.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportAs {
    /// Android Management API: an `applications[]` entry with `managedConfiguration`.
    Amapi,
    /// Intune (Android Enterprise app configuration, JSON editor): `managedProperty`.
    Intune,
    /// Flat key-to-value (Workspace ONE, MobileIron, `--config`).
    Flat,
}

/// The flat managed configuration that gives `policy` on a phone: flat keys alone where
/// they say exactly the same, otherwise `policy_json` with the document's own text.
pub fn flat_config(policy: &Policy, text: &str) -> Map<String, Value> {
    let mut flat = Map::new();
    if let Some(simple) = simple_flat(policy) {
        return simple;
    }
    // One line, so that consoles with one-line text fields take it as it is.
    flat.insert("policy_json".into(), Value::String(minify(text)));
    flat
}

/// JSON text without the whitespace between tokens; keys keep their order.
pub fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// Flat keys for a policy with no rules, allow or protected entries of its own and a
/// ladder the flat keys can say; `None` when they cannot say it exactly.
fn simple_flat(policy: &Policy) -> Option<Map<String, Value>> {
    use veto_core::config::{parse_managed_config, policy_from_config};
    let mut flat = Map::new();
    flat.insert(
        "use_builtin_catalog".into(),
        Value::Bool(policy.use_builtin_catalog),
    );
    if policy
        .include_catalogs
        .iter()
        .any(|c| c == "state-actor-countries")
    {
        flat.insert("include_state_actor_catalog".into(), Value::Bool(true));
    }
    if policy.mode == veto_core::Mode::Allowlist {
        flat.insert("allowlist_mode".into(), Value::Bool(true));
    }
    if policy.act_on_system_packages {
        flat.insert("act_on_system_packages".into(), Value::Bool(true));
    }
    match policy.enforcement.as_slice() {
        s if s == Policy::builtin().enforcement.as_slice() => {}
        [one] if one.after_days == 0 => {
            flat.insert("enforcement_action".into(), one.action.name().into());
            flat.insert("grace_period_days".into(), 0.into());
        }
        [warn, strongest] if warn.action == veto_core::Action::Warn && warn.after_days == 0 => {
            flat.insert("enforcement_action".into(), strongest.action.name().into());
            flat.insert("grace_period_days".into(), strongest.after_days.into());
        }
        _ => return None,
    }
    let json = Value::Object(flat.clone()).to_string();
    let (mapped, _) = policy_from_config(&parse_managed_config(&json).ok()?).ok()?;
    (mapped == *policy).then_some(flat)
}

/// A flat configuration in a console's shape.
pub fn export(flat: Map<String, Value>, format: ExportAs) -> Value {
    match format {
        ExportAs::Flat => Value::Object(flat),
        ExportAs::Amapi => serde_json::json!({
            "packageName": PACKAGE,
            "installType": "FORCE_INSTALLED",
            "managedConfiguration": flat,
        }),
        ExportAs::Intune => {
            let props: Vec<Value> = flat
                .into_iter()
                .map(|(key, v)| {
                    let kind = KEYS.iter().find(|k| k.name == key).map(|k| k.kind);
                    let field = match (kind, &v) {
                        (Some(KeyType::Bool), _) | (None, Value::Bool(_)) => "valueBool",
                        (Some(KeyType::Integer), _) | (None, Value::Number(_)) => "valueInteger",
                        _ => "valueString",
                    };
                    serde_json::json!({"key": key, field: v})
                })
                .collect();
            serde_json::json!({
                "kind": "androidenterprise#managedConfiguration",
                "productId": format!("app:{PACKAGE}"),
                "managedProperty": props,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flat_of(v: Value) -> Map<String, Value> {
        match shape(&v) {
            Shape::Config(flat, _) => flat,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn console_shapes_normalise_to_flat_keys() {
        let want = json!({"denied_packages": "com.a.b", "grace_period_days": 7});
        let want = want.as_object().unwrap().clone();
        assert_eq!(flat_of(json!({"managedConfiguration": want})), want);
        assert_eq!(
            flat_of(json!({"name": "enterprises/x/policies/p", "applications": [
                {"packageName": "com.other"},
                {"packageName": "app.veto", "managedConfiguration": want}
            ]})),
            want
        );
        let props = json!([
            {"key": "denied_packages", "valueString": "com.a.b"},
            {"key": "grace_period_days", "valueInteger": 7}
        ]);
        assert_eq!(flat_of(json!({"managedProperty": props})), want);
        assert_eq!(flat_of(props), want);
        assert_eq!(flat_of(Value::Object(want.clone())), want);
        assert_eq!(shape(&json!({"version": 2})), Shape::Policy);
        assert_eq!(shape(&json!({"rules": []})), Shape::Policy);
    }

    #[test]
    fn shapes_that_cannot_be_read_say_why() {
        let no_app = json!({"applications": [{"packageName": "com.other"}]});
        assert_eq!(
            shape(&no_app),
            Shape::Neither("an Android Management API policy without an application with packageName \"app.veto\"".into())
        );
        assert_eq!(
            shape(&json!({"managedProperty": [{"key": "a"}]})),
            Shape::Neither("managedProperty[0] (a): no valueString, valueBool, valueInteger or valueStringArray".into())
        );
    }

    #[test]
    fn export_round_trips_through_every_console_shape() {
        let text = "{\n  \"version\": 4,\n  \"rules\": [{\"id\": \"x\", \"package\": \"com.x.y\", \"reason\": \"a  b\\\"c\"}]\n}";
        let policy = Policy::from_json(text).unwrap();
        let flat = flat_config(&policy, text);
        assert_eq!(
            flat["policy_json"],
            "{\"version\":4,\"rules\":[{\"id\":\"x\",\"package\":\"com.x.y\",\"reason\":\"a  b\\\"c\"}]}"
        );
        for format in [ExportAs::Amapi, ExportAs::Intune, ExportAs::Flat] {
            let back = flat_of(export(flat.clone(), format));
            let json = Value::Object(back).to_string();
            let (mapped, _) = veto_core::config::policy_from_config(
                &veto_core::config::parse_managed_config(&json).unwrap(),
            )
            .unwrap();
            assert_eq!(mapped, policy);
        }
        // Flat keys where they say the same.
        let simple = Policy::from_json(r#"{"version":1,"enforcement":"hide"}"#).unwrap();
        let flat = flat_config(&simple, "");
        assert!(!flat.contains_key("policy_json"), "{flat:?}");
        assert_eq!(flat["enforcement_action"], "hide");
    }
}
