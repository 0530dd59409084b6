//! Helpers shared by the integration tests.

pub mod http;
pub mod report;
pub mod require;
