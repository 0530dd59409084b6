//! TLS trust and TLS error naming for `https://` fetches.
//!
//! Trust is the system CA bundle (or the configured one), read with a size
//! cap and never compiled in; entries that do not parse are skipped, but a
//! bundle with no usable certificate is an error. rustls' errors become
//! [`FetchError`]s that say what the operator can fix (an untrusted or
//! expired certificate, a clock that is not set).

use crate::fetch::{FetchError, FetchOptions, DEFAULT_CA_BUNDLES};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

/// CA bundles are small (OpenWrt's is ~200 KB); refuse to slurp a huge file.
const MAX_CA_BUNDLE_BYTES: u64 = 8 * 1024 * 1024;

/// The client TLS configuration: ring, TLS 1.2/1.3, the CA bundle file.
pub(super) fn tls_config(url: &str, opts: &FetchOptions) -> Result<Arc<ClientConfig>, FetchError> {
    let path = match &opts.ca_bundle {
        Some(p) => p.clone(),
        None => DEFAULT_CA_BUNDLES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or_else(|| FetchError::NoCaBundle { url: url.to_string() })?,
    };
    let bundle_err = |detail: String| FetchError::CaBundle {
        url: url.to_string(),
        path: path.clone(),
        detail,
    };
    let mut pem = Vec::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_CA_BUNDLE_BYTES).read_to_end(&mut pem))
        .map_err(|e| bundle_err(e.to_string()))?;
    let mut roots = RootCertStore::empty();
    // Skip what does not parse, like every TLS client does with a bundle
    // of a few hundred roots: one odd entry must not stop all fetches.
    let certs = CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok);
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(bundle_err("no usable PEM certificate in it".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::Tls {
            url: url.to_string(),
            detail: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

pub(super) fn tls_error(url: &str, e: &rustls::Error) -> FetchError {
    match e {
        rustls::Error::InvalidCertificate(c) => FetchError::CertNotTrusted {
            url: url.to_string(),
            detail: cert_reason(c),
        },
        other => FetchError::Tls {
            url: url.to_string(),
            detail: other.to_string(),
        },
    }
}

fn cert_reason(c: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match c {
        C::UnknownIssuer => "issued by a CA that is not in the CA bundle".into(),
        C::Expired | C::ExpiredContext { .. } => "expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => "not valid yet (is the router's clock set?)".into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => "not issued for this host name".into(),
        C::Revoked => "revoked".into(),
        C::BadSignature => "bad signature".into(),
        other => format!("{other:?}"),
    }
}
