//! `iocguard feed build|sign|verify|keygen`: the IT centre's side. The
//! logic is `crate::feedtool`.

use super::error::{CmdError, CmdResult};
use super::inputs::{gate, read_inputs};
use super::output::{json, out};
use crate::cli::{Common, FeedCommand};
use crate::exit::Exit;
use crate::{clock, feedtool, fsio, sign};

/// Runs one `feed` subcommand.
pub fn run(common: &Common, cmd: FeedCommand) -> CmdResult {
    match cmd {
        FeedCommand::Build {
            inputs,
            out: out_file,
            name,
            allow,
            allow_reserved,
        } => {
            let gate = gate(&allow, &allow_reserved)?;
            let name = name.unwrap_or_else(|| {
                out_file
                    .as_deref()
                    .filter(|o| *o != "-")
                    .and_then(|o| std::path::Path::new(o).file_stem()?.to_str().map(String::from))
                    .unwrap_or_else(|| "feed".into())
            });
            let built = feedtool::build(read_inputs(&inputs), &name, &gate, clock::unix_now())
                .map_err(CmdError::usage)?;
            match &out_file {
                Some(path) if path != "-" => fsio::write_atomic(path.as_ref(), built.text.as_bytes())?,
                _ => out(&built.text),
            }
            // The report goes to stderr so stdout can be the feed itself.
            eprint!("{}", built.report.render(20));
            eprintln!(
                "wrote {}: {} IPv4 prefixes, {} IPv6 prefixes, {} domains",
                out_file.as_deref().unwrap_or("stdout"),
                built.v4,
                built.v6,
                built.domains
            );
            Ok(built.report.exit())
        }
        FeedCommand::Sign { sec, comment, files } => {
            let sk = feedtool::load_secret(&sec).map_err(CmdError::usage)?;
            for f in &files {
                let tc = comment
                    .clone()
                    .unwrap_or_else(|| feedtool::default_trusted_comment(f, clock::unix_now()));
                let sig_path = feedtool::sign_file(&sk, f, &tc).map_err(CmdError::usage)?;
                out(&format!("{f}: signed with key {} → {sig_path}\n", sk.id()));
            }
            Ok(Exit::Ok)
        }
        FeedCommand::Verify {
            pub_file,
            pubkey,
            files,
        } => {
            let pk = match (pub_file, pubkey) {
                (Some(p), _) => feedtool::load_public(&p).map_err(CmdError::usage)?,
                (None, Some(b)) => {
                    sign::PublicKey::parse(&b).map_err(|e| CmdError::usage(format!("--pubkey: {e}")))?
                }
                (None, None) => {
                    return Err(CmdError::usage("feed verify needs --pub FILE or --pubkey BASE64"))
                }
            };
            let results: Vec<_> = files.iter().map(|f| feedtool::verify_file(&pk, f)).collect();
            if common.json {
                json(&results, true)?;
            } else {
                for r in &results {
                    out(&(r.render() + "\n"));
                }
            }
            Ok(if results.iter().all(|r| r.ok) {
                Exit::Ok
            } else {
                Exit::Partial
            })
        }
        FeedCommand::Keygen {
            pub_file,
            sec_file,
            force,
        } => {
            out(&feedtool::keygen(&pub_file, &sec_file, force).map_err(CmdError::usage)?);
            Ok(Exit::Ok)
        }
    }
}
