//! Command-line inputs shared by several commands: feed files given as
//! arguments, `--allow`/`--allow-reserved` gates, `--format` names.

use super::error::CmdError;
use crate::check::{self, Input};
use crate::cli::Common;
use crate::config::Config;
use crate::feed::Format;
use crate::indicator::{parse_indicator, Gate, GateConfig, Indicator, IndicatorSet, Keep, KindFilter};
use std::io::Read;
use std::path::PathBuf;

/// Reads files lazily, one at a time, as `check` consumes them (`-` is
/// stdin).
pub fn read_inputs(files: &[String]) -> impl Iterator<Item = Input> + '_ {
    files.iter().map(|f| {
        let body = if f == "-" {
            let mut b = Vec::new();
            std::io::stdin().read_to_end(&mut b).map(|_| b)
        } else {
            std::fs::read(f)
        };
        Input {
            name: f.clone(),
            body: body.map_err(|e| format!("cannot be read: {e}")),
        }
    })
}

/// The safety gate with `--allow` and `--allow-reserved` values.
pub fn gate(allow: &[String], allow_reserved: &[String]) -> Result<Gate, CmdError> {
    let parse = |v: &String, what: &str| -> Result<Indicator, CmdError> {
        parse_indicator(v).map_err(|e| CmdError::usage(format!("{what} {v:?}: {e}")))
    };
    let cfg = GateConfig {
        allow: allow
            .iter()
            .map(|v| parse(v, "--allow"))
            .collect::<Result<_, _>>()?,
        allow_reserved: allow_reserved
            .iter()
            .map(|v| parse(v, "--allow-reserved"))
            .collect::<Result<_, _>>()?,
        ..GateConfig::default()
    };
    Ok(Gate::new(&cfg))
}

/// `--format NAME`: `None` for detection.
pub fn format(name: Option<&str>) -> Result<Option<Format>, CmdError> {
    match name {
        None | Some("auto") => Ok(None),
        Some(n) => Format::from_name(n).map(Some).ok_or_else(|| {
            let names: Vec<_> = Format::all().map(|f| f.name()).collect();
            CmdError::usage(format!("unknown format {n:?}; known: auto {}", names.join(" ")))
        }),
    }
}

/// `--kind auto|ip|domain`.
pub fn kind(name: Option<&str>) -> Result<KindFilter, CmdError> {
    match name {
        None => Ok(KindFilter::Auto),
        Some(k) => KindFilter::parse(k)
            .ok_or_else(|| CmdError::usage(format!("--kind {k:?} is not auto, ip or domain"))),
    }
}

/// Parses feed files into one set keeping what `keep` says; refuses
/// when any is unusable, so a broken file never replaces a good
/// installed set.
pub fn usable_set(
    files: &[String],
    kind: KindFilter,
    gate: &Gate,
    keep: Keep,
) -> Result<IndicatorSet, CmdError> {
    let (report, set) = check::check_keeping(read_inputs(files), None, kind, gate, keep);
    if let Some(bad) = report.files.iter().find(|f| f.error.is_some()) {
        return Err(CmdError::usage(format!(
            "{}: {}",
            bad.file,
            bad.error.as_deref().unwrap_or("")
        )));
    }
    Ok(set)
}

/// The configuration file to use.
pub fn config_path(common: &Common) -> PathBuf {
    common
        .config
        .clone()
        .unwrap_or_else(|| crate::config::DEFAULT_PATH.into())
        .into()
}

/// Loads the configuration and logs its warnings. Without `list lan`,
/// the LAN is OpenWrt's `lan` interface as it is now (`config::lan`).
pub fn load_config(common: &Common) -> Result<Config, CmdError> {
    let mut cfg = Config::load(&config_path(common))?;
    for w in &cfg.warnings {
        log::warn!("{w}");
    }
    if cfg.main.lan.is_empty() {
        let network = cfg.path.with_file_name("network");
        cfg.main.lan = crate::config::lan::from_openwrt(&network);
        if !cfg.main.lan.is_empty() {
            log::info!("lan: {} (from {})", cfg.main.lan.join(", "), network.display());
        }
    }
    Ok(cfg)
}
