//! The campaign report: the unit's statistics in the ministry's template
//! ([`model`]), built from the host table ([`build`](mod@build)) with a
//! drafted assessment ([`assess`]), rendered for people and machines
//! ([`render`]); the IT centre's merge of units' reports
//! ([`merge`](mod@merge)), checked against the units' signatures
//! ([`signed`]) when their keys are given, refused for the reasons in
//! [`error`].

pub mod assess;
pub mod build;
pub mod error;
pub mod merge;
pub mod model;
pub mod render;
pub mod signed;

pub use build::{build, Inputs};
pub use error::MergeError;
pub use merge::{check_figures, merge, parse_report, parse_roster, Submitted, MAX_REPORT_BYTES};
pub use model::{Lang, MergedReport, Period, Row, UnitReport, SCHEMA};
pub use render::Format;
pub use signed::{sign_report, verify_report, KeyRing};
