//! Helpers shared by the integration tests.

pub mod browser;
pub mod http;
pub mod owrt;
pub mod report;
pub mod require;
