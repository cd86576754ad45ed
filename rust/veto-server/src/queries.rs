//! What the API and the dashboard read: the summary, the device list, a device with its
//! history, the census, the burndown. Parameterised SQL only; filters are added as
//! conditions with bound values, never spliced into the text.

use crate::db::Db;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;

type Res<T> = Result<T, sqlx::Error>;

/// A bound value.
#[derive(Debug, Clone)]
enum Param {
    Text(String),
    Int(i64),
}

/// SQL text with its parameters, numbered as they are pushed.
#[derive(Debug, Default)]
struct Sql {
    text: String,
    params: Vec<Param>,
}

impl Sql {
    fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            params: Vec::new(),
        }
    }
    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }
    /// Appends `$N` bound to `value`.
    fn text(&mut self, value: &str) -> &mut Self {
        self.params.push(Param::Text(value.to_string()));
        self.text.push_str(&format!("${}", self.params.len()));
        self
    }
    fn int(&mut self, value: i64) -> &mut Self {
        self.params.push(Param::Int(value));
        self.text.push_str(&format!("${}", self.params.len()));
        self
    }
    async fn fetch_all(&self, db: &Db) -> Res<Vec<AnyRow>> {
        let mut q = sqlx::query(&self.text);
        for p in &self.params {
            q = match p {
                Param::Text(s) => q.bind(s.clone()),
                Param::Int(i) => q.bind(*i),
            };
        }
        q.fetch_all(&db.pool).await
    }
}

fn unit_clause(sql: &mut Sql, column: &str, unit: &str) {
    if !unit.is_empty() {
        sql.push(&format!(" AND {column} = ")).text(unit);
    }
}

/// One barred package across the fleet.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PackageCount {
    /// Package name.
    pub package: String,
    /// Devices whose current report holds it.
    pub devices: i64,
    /// Of those, devices past the finding's deadline.
    pub past_deadline: i64,
}

/// `GET /v1/summary`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Devices known (in the unit, if one was asked for).
    pub devices: i64,
    /// Devices whose current report is compliant.
    pub compliant: i64,
    /// Devices whose current report is not.
    pub non_compliant: i64,
    /// Devices with no report received within `--stale-after`.
    pub stale: i64,
    /// Devices holding any barred package past its deadline.
    pub past_deadline: i64,
    /// Barred packages, most devices first.
    pub packages: Vec<PackageCount>,
}

/// Counts for a unit ("" = all), at `now`, with reports older than `stale_before` stale.
pub async fn summary(db: &Db, unit: &str, now: i64, stale_before: i64) -> Res<Summary> {
    let mut sql = Sql::new("SELECT COUNT(*), CAST(COALESCE(SUM(compliant), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN last_seen < ");
    sql.int(stale_before)
        .push(
            " THEN 1 ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN earliest_deadline < ",
        )
        .int(now)
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT) FROM devices WHERE 1 = 1");
    unit_clause(&mut sql, "unit", unit);
    let rows = sql.fetch_all(db).await?;
    let row = &rows[0];
    let devices: i64 = row.try_get(0)?;
    let compliant: i64 = row.try_get(1)?;
    Ok(Summary {
        devices,
        compliant,
        non_compliant: devices - compliant,
        stale: row.try_get(2)?,
        past_deadline: row.try_get(3)?,
        packages: packages(db, unit, now).await?,
    })
}

async fn packages(db: &Db, unit: &str, now: i64) -> Res<Vec<PackageCount>> {
    let mut sql = Sql::new("SELECT package, COUNT(*), CAST(COALESCE(SUM(CASE WHEN deadline < ");
    sql.int(now)
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT) FROM findings WHERE present = 1");
    unit_clause(&mut sql, "unit", unit);
    sql.push(" GROUP BY package ORDER BY COUNT(*) DESC, package");
    sql.fetch_all(db)
        .await?
        .iter()
        .map(|r| {
            Ok(PackageCount {
                package: r.try_get(0)?,
                devices: r.try_get(1)?,
                past_deadline: r.try_get(2)?,
            })
        })
        .collect()
}

/// The headline for each unit.
#[derive(Debug, Clone, Serialize)]
pub struct UnitCounts {
    /// Unit name.
    pub unit: String,
    /// Devices.
    pub devices: i64,
    /// Compliant devices.
    pub compliant: i64,
    /// Non-compliant devices.
    pub non_compliant: i64,
    /// Devices past a deadline.
    pub past_deadline: i64,
    /// Stale devices.
    pub stale: i64,
}

/// Headline counts per unit (only `unit` when it is not empty).
pub async fn units(db: &Db, unit: &str, now: i64, stale_before: i64) -> Res<Vec<UnitCounts>> {
    let mut sql = Sql::new("SELECT unit, COUNT(*), CAST(COALESCE(SUM(compliant), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN earliest_deadline < ");
    sql.int(now)
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN last_seen < ")
        .int(stale_before)
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT) FROM devices WHERE 1 = 1");
    unit_clause(&mut sql, "unit", unit);
    sql.push(" GROUP BY unit ORDER BY unit");
    sql.fetch_all(db)
        .await?
        .iter()
        .map(|r| {
            let devices: i64 = r.try_get(1)?;
            let compliant: i64 = r.try_get(2)?;
            Ok(UnitCounts {
                unit: r.try_get(0)?,
                devices,
                compliant,
                non_compliant: devices - compliant,
                past_deadline: r.try_get(3)?,
                stale: r.try_get(4)?,
            })
        })
        .collect()
}

/// Device-list filters (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFilter {
    /// Only this unit ("" = all).
    pub unit: String,
    /// Only devices whose current report holds this package.
    pub package: Option<String>,
    /// `compliant`, `non_compliant` or `past_deadline`.
    pub status: Option<String>,
    /// Only stale (true) or only fresh (false) devices.
    pub stale: Option<bool>,
}

/// The statuses the device list filters by.
pub const STATUSES: &[&str] = &["compliant", "non_compliant", "past_deadline"];

/// One device in the list.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceRow {
    /// Device id.
    pub device_id: String,
    /// Unit.
    pub unit: String,
    /// Current report compliant.
    pub compliant: bool,
    /// Barred packages in the current report.
    pub findings: i64,
    /// Their names.
    pub packages: Vec<String>,
    /// Current report's evaluation time (RFC 3339).
    pub evaluated_at: String,
    /// When a report last arrived (RFC 3339).
    pub last_seen: String,
    /// No report within `--stale-after`.
    pub stale: bool,
    /// Some finding's deadline has passed.
    pub past_deadline: bool,
    /// Earliest deadline among its findings.
    pub earliest_deadline: Option<String>,
    /// Policy version applied.
    pub policy_version: i64,
    /// Veto version.
    pub veto_version: String,
}

/// A page of the device list.
#[derive(Debug, Clone, Serialize)]
pub struct DevicePage {
    /// Devices matching the filter.
    pub total: i64,
    /// This page, by device id.
    pub devices: Vec<DeviceRow>,
}

fn filtered(f: &DeviceFilter, select: &str, now: i64, stale_before: i64) -> Sql {
    let mut sql = Sql::new(select);
    match &f.package {
        Some(p) => {
            sql.push(" FROM findings f JOIN devices d ON d.device_id = f.device_id WHERE f.present = 1 AND f.package = ")
                .text(p);
            unit_clause(&mut sql, "f.unit", &f.unit);
        }
        None => {
            sql.push(" FROM devices d WHERE 1 = 1");
            unit_clause(&mut sql, "d.unit", &f.unit);
        }
    }
    match f.status.as_deref() {
        Some("compliant") => {
            sql.push(" AND d.compliant = 1");
        }
        Some("non_compliant") => {
            sql.push(" AND d.compliant = 0");
        }
        Some("past_deadline") => {
            sql.push(" AND d.earliest_deadline < ").int(now);
        }
        _ => {}
    }
    match f.stale {
        Some(true) => {
            sql.push(" AND d.last_seen < ").int(stale_before);
        }
        Some(false) => {
            sql.push(" AND d.last_seen >= ").int(stale_before);
        }
        None => {}
    }
    sql
}

/// The columns [`device_row`] reads, in its order (`devices` aliased as `d`).
const DEVICE_COLUMNS: &str = "d.device_id, d.unit, d.compliant, d.findings, d.evaluated_at, \
     d.last_seen, d.earliest_deadline, d.policy_version, d.veto_version";

/// One device from a row that starts with [`DEVICE_COLUMNS`]; its packages are attached later.
fn device_row(r: &AnyRow, now: i64, stale_before: i64) -> Res<DeviceRow> {
    let earliest: Option<i64> = r.try_get(6)?;
    let last_seen: i64 = r.try_get(5)?;
    Ok(DeviceRow {
        device_id: r.try_get(0)?,
        unit: r.try_get(1)?,
        compliant: r.try_get::<i64, _>(2)? == 1,
        findings: r.try_get(3)?,
        packages: Vec::new(),
        evaluated_at: crate::clock::rfc3339(r.try_get(4)?),
        last_seen: crate::clock::rfc3339(last_seen),
        stale: last_seen < stale_before,
        past_deadline: earliest.is_some_and(|d| d < now),
        earliest_deadline: earliest.map(crate::clock::rfc3339),
        policy_version: r.try_get(7)?,
        veto_version: r.try_get(8)?,
    })
}

/// A page of devices (`limit` None: all, for CSV).
pub async fn devices(
    db: &Db,
    f: &DeviceFilter,
    limit: Option<i64>,
    offset: i64,
    now: i64,
    stale_before: i64,
) -> Res<DevicePage> {
    let total: i64 = filtered(f, "SELECT COUNT(*)", now, stale_before)
        .fetch_all(db)
        .await?[0]
        .try_get(0)?;
    let mut sql = filtered(f, &format!("SELECT {DEVICE_COLUMNS}"), now, stale_before);
    sql.push(" ORDER BY d.device_id");
    if let Some(limit) = limit {
        sql.push(" LIMIT ").int(limit).push(" OFFSET ").int(offset);
    }
    let rows = sql.fetch_all(db).await?;
    let mut devices = rows
        .iter()
        .map(|r| device_row(r, now, stale_before))
        .collect::<Res<Vec<_>>>()?;
    attach_packages(db, &mut devices, limit.is_none()).await?;
    Ok(DevicePage { total, devices })
}

async fn attach_packages(db: &Db, devices: &mut [DeviceRow], all: bool) -> Res<()> {
    let wanted: Vec<usize> = (0..devices.len())
        .filter(|&i| devices[i].findings > 0)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut by_device: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if all {
        // The whole list (CSV): one pass over the current findings.
        let rows = Sql::new(
            "SELECT device_id, package FROM findings WHERE present = 1 ORDER BY device_id, package",
        )
        .fetch_all(db)
        .await?;
        for r in rows {
            by_device
                .entry(r.try_get(0)?)
                .or_default()
                .push(r.try_get(1)?);
        }
    } else {
        for chunk in wanted.chunks(200) {
            let mut sql = Sql::new(
                "SELECT device_id, package FROM findings WHERE present = 1 AND device_id IN (",
            );
            for (n, &i) in chunk.iter().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.text(&devices[i].device_id);
            }
            sql.push(") ORDER BY device_id, package");
            for r in sql.fetch_all(db).await? {
                by_device
                    .entry(r.try_get(0)?)
                    .or_default()
                    .push(r.try_get(1)?);
            }
        }
    }
    for d in devices.iter_mut() {
        if let Some(p) = by_device.remove(&d.device_id) {
            d.packages = p;
        }
    }
    Ok(())
}

/// A finding of a device (current, or removed since).
#[derive(Debug, Clone, Serialize)]
pub struct DeviceFinding {
    /// Package.
    pub package: String,
    /// Label.
    pub label: Option<String>,
    /// Dashboard state (`warned`, `suspended`, …, `removed`).
    pub state: String,
    /// Report status of the action due (`due`, `enforced`, `failed`, `reported`).
    pub status: String,
    /// Deadline (RFC 3339).
    pub deadline: String,
    /// Past it.
    pub past_deadline: bool,
    /// When Veto first saw it.
    pub first_seen: String,
}

/// One report in a device's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// Report id.
    pub report_id: String,
    /// When evaluated.
    pub evaluated_at: String,
    /// When received.
    pub received_at: String,
    /// Compliant.
    pub compliant: bool,
    /// Barred packages.
    pub findings: i64,
    /// Policy version.
    pub policy_version: i64,
    /// It is the device's current report.
    pub current: bool,
}

/// `GET /v1/devices/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceDetail {
    /// The device as listed.
    #[serde(flatten)]
    pub device: DeviceRow,
    /// Its current and removed findings.
    pub finding_details: Vec<DeviceFinding>,
    /// Its reports, newest evaluation first (at most 500).
    pub history: Vec<HistoryEntry>,
    /// The current report as received.
    pub report: serde_json::Value,
}

/// A device with its history, if it exists in `unit` ("" = any).
pub async fn device(
    db: &Db,
    id: &str,
    unit: &str,
    now: i64,
    stale_before: i64,
) -> Res<Option<DeviceDetail>> {
    let mut sql = Sql::new(&format!(
        "SELECT {DEVICE_COLUMNS}, d.report_id FROM devices d WHERE d.device_id = "
    ));
    sql.text(id);
    unit_clause(&mut sql, "d.unit", unit);
    let rows = sql.fetch_all(db).await?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let current_id: String = r.try_get(9)?;
    let mut device = device_row(r, now, stale_before)?;
    let mut sql = Sql::new("SELECT package, label, state, status, deadline, first_seen, present FROM findings WHERE device_id = ");
    sql.text(id).push(" ORDER BY present DESC, package");
    let mut finding_details = Vec::new();
    for r in sql.fetch_all(db).await? {
        let deadline: i64 = r.try_get(4)?;
        let present = r.try_get::<i64, _>(6)? == 1;
        let package: String = r.try_get(0)?;
        if present {
            device.packages.push(package.clone());
        }
        finding_details.push(DeviceFinding {
            package,
            label: r.try_get(1)?,
            state: r.try_get(2)?,
            status: r.try_get(3)?,
            deadline: crate::clock::rfc3339(deadline),
            past_deadline: present && deadline < now,
            first_seen: crate::clock::rfc3339(r.try_get(5)?),
        });
    }
    let mut sql = Sql::new("SELECT report_id, evaluated_at, received_at, compliant, findings, policy_version FROM reports WHERE device_id = ");
    sql.text(id)
        .push(" ORDER BY evaluated_at DESC, report_id DESC LIMIT 500");
    let history = sql
        .fetch_all(db)
        .await?
        .iter()
        .map(|r| {
            let report_id: String = r.try_get(0)?;
            Ok(HistoryEntry {
                current: report_id == current_id,
                report_id,
                evaluated_at: crate::clock::rfc3339(r.try_get(1)?),
                received_at: crate::clock::rfc3339(r.try_get(2)?),
                compliant: r.try_get::<i64, _>(3)? == 1,
                findings: r.try_get(4)?,
                policy_version: r.try_get(5)?,
            })
        })
        .collect::<Res<Vec<_>>>()?;
    let mut sql = Sql::new("SELECT body FROM reports WHERE report_id = ");
    sql.text(&current_id);
    let report = match sql.fetch_all(db).await?.first() {
        Some(r) => {
            serde_json::from_str(&r.try_get::<String, _>(0)?).unwrap_or(serde_json::Value::Null)
        }
        // Pruned by retention: the summary in `devices` remains.
        None => serde_json::Value::Null,
    };
    Ok(Some(DeviceDetail {
        device,
        finding_details,
        history,
        report,
    }))
}

/// Devices per dashboard state, for each barred package.
#[derive(Debug, Clone, Serialize, Default)]
pub struct PackageStates {
    /// Package.
    pub package: String,
    /// Label seen most recently (any).
    pub label: Option<String>,
    /// state → devices (`warned`, `suspended`, `hidden`, `removing`, `pending`, `failed`,
    /// `report_only`, `removed`).
    pub states: BTreeMap<String, i64>,
    /// Devices that still have it.
    pub devices: i64,
    /// Devices past the deadline.
    pub past_deadline: i64,
}

/// Per barred app: devices by state, and past the deadline.
pub async fn package_states(db: &Db, unit: &str, now: i64) -> Res<Vec<PackageStates>> {
    let mut sql = Sql::new(
        "SELECT package, state, COUNT(*), CAST(COALESCE(SUM(CASE WHEN present = 1 AND deadline < ",
    );
    sql.int(now)
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT), MAX(label) FROM findings WHERE 1 = 1");
    unit_clause(&mut sql, "unit", unit);
    sql.push(" GROUP BY package, state");
    let mut by: BTreeMap<String, PackageStates> = BTreeMap::new();
    for r in sql.fetch_all(db).await? {
        let package: String = r.try_get(0)?;
        let state: String = r.try_get(1)?;
        let n: i64 = r.try_get(2)?;
        let entry = by.entry(package.clone()).or_insert_with(|| PackageStates {
            package,
            ..PackageStates::default()
        });
        if state != "removed" {
            entry.devices += n;
        }
        entry.past_deadline += r.try_get::<i64, _>(3)?;
        if let Some(label) = r.try_get::<Option<String>, _>(4)? {
            entry.label = Some(label);
        }
        entry.states.insert(state, n);
    }
    let mut list: Vec<PackageStates> = by.into_values().collect();
    list.sort_by(|a, b| b.devices.cmp(&a.devices).then(a.package.cmp(&b.package)));
    Ok(list)
}

/// One day of the burndown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Day {
    /// Days since the epoch (UTC).
    pub day: i64,
    /// Devices that reported that day.
    pub devices: i64,
    /// Of those, devices whose latest report that day held a barred app.
    pub barred: i64,
}

/// The burndown, oldest day first, and the latest deadline of any finding.
pub async fn burndown(db: &Db, unit: &str) -> Res<(Vec<Day>, Option<i64>)> {
    let mut sql = Sql::new("SELECT day, CAST(SUM(devices) AS BIGINT), CAST(SUM(barred) AS BIGINT) FROM daily WHERE 1 = 1");
    unit_clause(&mut sql, "unit", unit);
    sql.push(" GROUP BY day ORDER BY day");
    let days = sql
        .fetch_all(db)
        .await?
        .iter()
        .map(|r| {
            Ok(Day {
                day: r.try_get(0)?,
                devices: r.try_get(1)?,
                barred: r.try_get(2)?,
            })
        })
        .collect::<Res<Vec<_>>>()?;
    let mut sql = Sql::new("SELECT MAX(deadline) FROM findings WHERE 1 = 1");
    unit_clause(&mut sql, "unit", unit);
    let deadline: Option<i64> = sql.fetch_all(db).await?[0].try_get(0)?;
    Ok((days, deadline))
}

/// One app in the census.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CensusEntry {
    /// Package.
    pub package: String,
    /// A label seen for it.
    pub label: Option<String>,
    /// Installers seen, with device counts.
    pub installers: BTreeMap<String, i64>,
    /// Signer digests seen (colon hex), with device counts.
    pub signers: BTreeMap<String, i64>,
    /// Devices that have it.
    pub devices: i64,
    /// Catalog entries that match it (`section/entry`), confirmed or not.
    pub catalog: Vec<String>,
    /// Rules of the hosted policy that match it (none without a hosted policy).
    pub policy_rules: Vec<String>,
}

/// Every app in the inventories of devices that send them (`report_inventory`).
pub async fn census(
    db: &Db,
    unit: &str,
    policy: Option<&veto_core::CompiledPolicy>,
) -> Res<Vec<CensusEntry>> {
    let mut by: BTreeMap<String, CensusEntry> = BTreeMap::new();
    let mut sql = Sql::new("SELECT package, COUNT(*), MAX(label) FROM inventory WHERE 1 = 1");
    unit_clause(&mut sql, "unit", unit);
    sql.push(" GROUP BY package");
    for r in sql.fetch_all(db).await? {
        let package: String = r.try_get(0)?;
        by.insert(
            package.clone(),
            CensusEntry {
                package,
                devices: r.try_get(1)?,
                label: r.try_get(2)?,
                ..CensusEntry::default()
            },
        );
    }
    for (column, is_installer) in [("installer", true), ("signers", false)] {
        let mut sql = Sql::new(&format!("SELECT package, {column}, COUNT(*) FROM inventory WHERE {column} IS NOT NULL AND {column} <> ''"));
        unit_clause(&mut sql, "unit", unit);
        sql.push(&format!(" GROUP BY package, {column}"));
        for r in sql.fetch_all(db).await? {
            let package: String = r.try_get(0)?;
            let value: String = r.try_get(1)?;
            let n: i64 = r.try_get(2)?;
            if let Some(e) = by.get_mut(&package) {
                if is_installer {
                    *e.installers.entry(value).or_default() += n;
                } else {
                    for digest in value.split(' ') {
                        *e.signers.entry(digest.to_string()).or_default() += n;
                    }
                }
            }
        }
    }
    let catalog = veto_core::Catalog::builtin();
    for e in by.values_mut() {
        let digests: Vec<veto_core::CertDigest> = e
            .signers
            .keys()
            .filter_map(|s| veto_core::CertDigest::parse(s).ok())
            .collect();
        for section in &catalog.sections {
            for entry in &section.entries {
                let by_name = entry.package.as_deref() == Some(e.package.as_str());
                let by_signer = entry.signer.as_ref().is_some_and(|d| digests.contains(d));
                if by_name || by_signer {
                    e.catalog.push(format!("{}/{}", section.id, entry.id));
                }
            }
        }
        if let Some(policy) = policy {
            let mut seen = std::collections::BTreeSet::new();
            // One check per signer seen: a package signed by a barred key on any device.
            let mut candidates = vec![veto_core::Package {
                package: e.package.clone(),
                label: e.label.clone(),
                signing_sha256: digests.clone(),
                ..veto_core::Package::default()
            }];
            candidates.extend(e.installers.keys().map(|i| veto_core::Package {
                package: e.package.clone(),
                installer: Some(i.clone()),
                signing_sha256: digests.clone(),
                ..veto_core::Package::default()
            }));
            for c in &candidates {
                for rule in policy.matching_rules(c) {
                    seen.insert(rule.id.clone());
                }
            }
            e.policy_rules = seen.into_iter().collect();
        }
    }
    let mut list: Vec<CensusEntry> = by.into_values().collect();
    list.sort_by(|a, b| b.devices.cmp(&a.devices).then(a.package.cmp(&b.package)));
    Ok(list)
}
