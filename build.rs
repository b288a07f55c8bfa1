//! Front-end libraries come from the npm registry (web/package.json + package-lock.json), never
//! copied by hand: this script runs `npm ci` in web/ when its node_modules is missing or older
//! than the lock file, then embeds the files listed in VENDOR into the binary (served under
//! /assets/vendor/), so every page works offline.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (name served under /assets/vendor/, path inside web/node_modules)
const VENDOR: &[(&str, &str)] = &[("echarts.min.js", "echarts/dist/echarts.min.js")];

fn main() {
    println!("cargo:rerun-if-changed=web/package.json");
    println!("cargo:rerun-if-changed=web/package-lock.json");
    println!("cargo:rerun-if-changed=build.rs");
    // sqlx::migrate! embeds migrations/: a new file must rebuild the crate.
    println!("cargo:rerun-if-changed=migrations");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let web = root.join("web");
    let marker = web.join("node_modules/.package-lock.json");
    if stale(&marker, &web.join("package-lock.json")) {
        let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
        let status = Command::new(npm)
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&web)
            .status()
            .unwrap_or_else(|e| {
                panic!(
                    "running `npm ci` in {}: {e}. Install Node.js and npm (Debian: apt-get install nodejs npm)",
                    web.display()
                )
            });
        assert!(
            status.success(),
            "`npm ci` in {} failed: the front-end libraries could not be installed",
            web.display()
        );
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let mut code = String::from(
        "/// Front-end files from npm, embedded by build.rs: (name, bytes).\npub static VENDOR: &[(&str, &[u8])] = &[\n",
    );
    for (name, rel) in VENDOR {
        let p = web.join("node_modules").join(rel);
        assert!(p.exists(), "{} is missing after npm ci", p.display());
        code.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", p.display().to_string()));
    }
    code.push_str("];\n");
    std::fs::write(out.join("vendor.rs"), code).expect("writing vendor.rs");
}

fn stale(marker: &Path, lock: &Path) -> bool {
    let (Ok(m), Ok(l)) = (marker.metadata(), lock.metadata()) else { return true };
    match (m.modified(), l.modified()) {
        (Ok(m), Ok(l)) => m < l,
        _ => true,
    }
}
