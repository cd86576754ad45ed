//! Bearer tokens: roles, units, and only their SHA-256 hashes stored.
//!
//! A token is `veto_` followed by 43 characters of URL-safe base64 (32 random bytes). It
//! is shown once, when it is made; the database holds its SHA-256, which is enough
//! because the secret has 256 bits of entropy (no password hashing needed). Tokens are
//! never logged.

use crate::db::Db;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Devices: `POST /v1/reports` only, into the token's unit.
    Ingest,
    /// People: read the API and the dashboard (of the token's unit, if it has one).
    Viewer,
    /// Administrators: everything a viewer may, plus `PUT /v1/feed`.
    Admin,
}

impl Role {
    /// Parses `ingest`, `viewer` or `admin`.
    pub fn parse(s: &str) -> Result<Role, String> {
        match s {
            "ingest" => Ok(Role::Ingest),
            "viewer" => Ok(Role::Viewer),
            "admin" => Ok(Role::Admin),
            _ => Err(format!(
                "--role: expected ingest, viewer or admin, found \"{s}\""
            )),
        }
    }

    /// The role's name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }
}

/// Who is calling: a valid, unrevoked token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's public id.
    pub token_id: String,
    /// Its role.
    pub role: Role,
    /// Its unit: an ingest token files into it; a viewer with a unit sees only it.
    pub unit: Option<String>,
}

impl Caller {
    /// The unit filter a read by this caller must apply: its own unit, if it has one,
    /// whatever the request asks; otherwise the requested unit (empty: all).
    pub fn scope(&self, requested: Option<&str>) -> String {
        match &self.unit {
            Some(u) => u.clone(),
            None => requested.unwrap_or("").to_string(),
        }
    }
}

/// A token as listed (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Public id.
    pub id: String,
    /// Role.
    pub role: Role,
    /// Unit, if any.
    pub unit: Option<String>,
    /// A note for people.
    pub label: Option<String>,
    /// When it was made (ms).
    pub created_at: i64,
    /// When it was revoked (ms), if it was.
    pub revoked_at: Option<i64>,
}

/// `n` random bytes from the OS.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The OS random source failing is unrecoverable for a server that mints secrets.
    getrandom::getrandom(&mut b).expect("the OS random source works");
    b
}

/// URL-safe base64 without padding.
pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A unit name: 1–100 characters, letters, digits, `-`, `_`, `.`, `/`.
pub fn check_unit(unit: &str) -> Result<(), String> {
    let ok = !unit.is_empty()
        && unit.len() <= 100
        && unit
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--unit: \"{unit}\" is not a unit name (1-100 letters, digits, '-', '_', '.', '/')"
        ))
    }
}

fn db_err(e: sqlx::Error) -> String {
    format!("database: {e}")
}

/// Makes a token and returns `(id, secret)`; only the secret's hash is stored.
pub async fn add(
    db: &Db,
    role: Role,
    unit: Option<&str>,
    label: Option<&str>,
    now: i64,
) -> Result<(String, String), String> {
    if let Some(u) = unit {
        check_unit(u)?;
    }
    if role == Role::Ingest && unit.is_none() {
        return Err(
            "--unit: an ingest token needs a unit (it fixes the unit of the devices that use it)"
                .to_string(),
        );
    }
    let id = format!("t_{}", &b64url(&random_bytes::<9>()));
    let secret = format!("veto_{}", b64url(&random_bytes::<32>()));
    sqlx::query(
        "INSERT INTO tokens (id, hash, role, unit, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(sha256_hex(&secret))
    .bind(role.name())
    .bind(unit.map(str::to_string))
    .bind(label.map(str::to_string))
    .bind(now)
    .execute(&db.pool)
    .await
    .map_err(db_err)?;
    Ok((id, secret))
}

/// Every token, oldest first.
pub async fn list(db: &Db) -> Result<Vec<TokenInfo>, String> {
    let rows = sqlx::query(
        "SELECT id, role, unit, label, created_at, revoked_at FROM tokens ORDER BY created_at, id",
    )
    .fetch_all(&db.pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.try_get(0).map_err(db_err)?,
                role: Role::parse(&r.try_get::<String, _>(1).map_err(db_err)?)?,
                unit: r.try_get(2).map_err(db_err)?,
                label: r.try_get(3).map_err(db_err)?,
                created_at: r.try_get(4).map_err(db_err)?,
                revoked_at: r.try_get(5).map_err(db_err)?,
            })
        })
        .collect()
}

/// Revokes a token by id; its dashboard sessions end with it.
pub async fn revoke(db: &Db, id: &str, now: i64) -> Result<(), String> {
    let done =
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&db.pool)
            .await
            .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(format!("token {id}: no such active token"));
    }
    sqlx::query("DELETE FROM sessions WHERE token_id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The caller a secret token belongs to, if it is valid and not revoked.
pub async fn lookup(db: &Db, secret: &str) -> Result<Option<Caller>, sqlx::Error> {
    let row =
        sqlx::query("SELECT id, role, unit FROM tokens WHERE hash = $1 AND revoked_at IS NULL")
            .bind(sha256_hex(secret))
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.and_then(|r| caller_from_row(&r)))
}

pub(crate) fn caller_from_row(r: &sqlx::any::AnyRow) -> Option<Caller> {
    Some(Caller {
        token_id: r.try_get(0).ok()?,
        role: Role::parse(&r.try_get::<String, _>(1).ok()?).ok()?,
        unit: r.try_get(2).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_units_are_checked() {
        assert_eq!(Role::parse("viewer"), Ok(Role::Viewer));
        assert_eq!(
            Role::parse("root").unwrap_err(),
            "--role: expected ingest, viewer or admin, found \"root\""
        );
        assert!(check_unit("amsterdam/ict").is_ok());
        assert_eq!(
            check_unit("a b").unwrap_err(),
            "--unit: \"a b\" is not a unit name (1-100 letters, digits, '-', '_', '.', '/')"
        );
    }

    #[test]
    fn a_unit_token_cannot_widen_its_scope() {
        let unit = Caller {
            token_id: "t".into(),
            role: Role::Viewer,
            unit: Some("north".into()),
        };
        assert_eq!(unit.scope(Some("south")), "north");
        assert_eq!(unit.scope(None), "north");
        let all = Caller { unit: None, ..unit };
        assert_eq!(all.scope(Some("south")), "south");
        assert_eq!(all.scope(None), "");
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
