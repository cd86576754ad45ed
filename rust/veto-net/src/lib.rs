//! Veto's network: the signed policy feed and the compliance report queue.
//!
//! Everything here talks HTTPS through [`Net`], whose TLS trust the caller injects (the
//! platform verifier on devices, a test CA in tests). What the shell calls:
//!
//! - [`feed::sync_policy`] on a schedule: fetch, verify and store the signed policy;
//!   [`feed::last_good`] and [`feed::feed_status`] at every evaluation (no network).
//! - [`reporting::queue_report`] after an evaluation, then [`reporting::flush_reports`];
//!   `veto_core::report::keyed_states` for the EMM.
//! - For `veto keygen`, `veto policy sign`, `veto policy verify`: [`keys::keygen`],
//!   [`feed::sign_policy`], [`feed::verify_signed_policy`].

pub mod envelope;
pub mod feed;
pub mod http;
pub mod keys;
pub mod queue;
pub mod random;
pub mod reporting;

pub use http::{Net, Tls};
