//! The campaign report: the unit's statistics in the ministry's template
//! ([`model`]), built from the host table ([`build`]) with a drafted
//! assessment ([`assess`]), rendered for people and machines ([`render`]).

pub mod assess;
pub mod build;
pub mod model;
pub mod render;

pub use build::{build, Inputs};
pub use model::{Lang, MergedReport, Period, Row, UnitReport, SCHEMA};
pub use render::Format;
