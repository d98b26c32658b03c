//! The engine's dependency rule (ARCHITECTURE.md), checked on the source: no I/O, async, clock,
//! environment, randomness or logging under `server/src/engine/`. (The fuzz crate in `server/fuzz` also
//! compiles the engine alone, with no server dependencies at all.)

use std::path::Path;

const FORBIDDEN: &[&str] = &[
    "tokio::", "axum::", "sea_orm::", "tracing::", "reqwest::", "std::fs", "std::env", "std::net::TcpStream",
    "SystemTime", "Instant::now", "rand::", "println!", "eprintln!",
];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("engine dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_engine_uses_no_io_clock_randomness_or_logging() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 20, "engine sources found: {}", files.len());
    let mut offences = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for needle in FORBIDDEN {
                if code.contains(needle) {
                    offences.push(format!("{}:{}: {needle}", file.display(), number + 1));
                }
            }
        }
    }
    assert!(offences.is_empty(), "engine purity violations:\n{}", offences.join("\n"));
}
