//! The campaign report: the unit's statistics in the ministry's template
//! ([`model`]), built from the host table ([`build`]) with a drafted
//! assessment ([`assess`]); units' signatures of their reports
//! ([`signed`]), refused for the reasons in [`error`].

pub mod assess;
pub mod build;
pub mod error;
pub mod model;
pub mod signed;

pub use build::{build, Inputs};
pub use error::MergeError;
pub use model::{Lang, MergedReport, Period, Row, UnitReport, SCHEMA};
pub use signed::{sign_report, verify_report, KeyRing};
