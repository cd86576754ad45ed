-- veto-server's schema, version 1. One text for SQLite and PostgreSQL: only types and
-- syntax both accept (TEXT, BIGINT, ON CONFLICT), times in milliseconds since the epoch,
-- flags as 0/1 BIGINT. Statements are separated by a line holding only ";".

-- Bearer tokens. Only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    unit TEXT,
    label TEXT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
)
;
-- Dashboard sessions; `hash` is the SHA-256 of the cookie value.
CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,
    token_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
)
;
-- One row per device: its current report (latest evaluated_at) in summary form.
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    unit TEXT NOT NULL,
    report_id TEXT NOT NULL,
    evaluated_at BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    compliant BIGINT NOT NULL,
    findings BIGINT NOT NULL,
    earliest_deadline BIGINT,
    policy_version BIGINT NOT NULL,
    veto_version TEXT NOT NULL,
    feed_error TEXT,
    warnings BIGINT NOT NULL,
    dropped_reports BIGINT NOT NULL
)
;
CREATE INDEX devices_unit ON devices (unit, device_id)
;
CREATE INDEX devices_last_seen ON devices (last_seen)
;
-- Barred packages in each device's current report (present = 1), and packages that were
-- in an earlier current report but are gone now (present = 0, state 'removed').
CREATE TABLE findings (
    device_id TEXT NOT NULL,
    package TEXT NOT NULL,
    unit TEXT NOT NULL,
    label TEXT,
    state TEXT NOT NULL,
    status TEXT NOT NULL,
    deadline BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    present BIGINT NOT NULL,
    PRIMARY KEY (device_id, package)
)
;
CREATE INDEX findings_package ON findings (package, present, unit)
;
-- Every accepted report, exactly as received (kept for the retention period).
CREATE TABLE reports (
    report_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    evaluated_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    compliant BIGINT NOT NULL,
    findings BIGINT NOT NULL,
    policy_version BIGINT NOT NULL,
    body TEXT NOT NULL
)
;
CREATE INDEX reports_device ON reports (device_id, evaluated_at)
;
CREATE INDEX reports_received ON reports (received_at)
;
-- The current work-profile inventory of devices that send one (report_inventory on).
CREATE TABLE inventory (
    device_id TEXT NOT NULL,
    package TEXT NOT NULL,
    unit TEXT NOT NULL,
    label TEXT,
    installer TEXT,
    signers TEXT NOT NULL,
    PRIMARY KEY (device_id, package)
)
;
CREATE INDEX inventory_package ON inventory (package)
;
-- Each device's state per day (UTC), from its latest report evaluated that day.
CREATE TABLE device_days (
    day BIGINT NOT NULL,
    device_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    evaluated_at BIGINT NOT NULL,
    barred BIGINT NOT NULL,
    PRIMARY KEY (day, device_id)
)
;
-- The burndown: per day and unit, devices that reported and devices with a barred app.
CREATE TABLE daily (
    day BIGINT NOT NULL,
    unit TEXT NOT NULL,
    devices BIGINT NOT NULL,
    barred BIGINT NOT NULL,
    PRIMARY KEY (day, unit)
)
;
-- The signed policy envelope the server hosts (one row, id = 1).
CREATE TABLE feed (
    id BIGINT PRIMARY KEY,
    envelope TEXT NOT NULL,
    version BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    key_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    policy_json TEXT NOT NULL,
    updated_at BIGINT NOT NULL
)
