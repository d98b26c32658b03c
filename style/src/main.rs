//! Generates the console's utility CSS with encre-css (pure Rust, Tailwind-compatible, including
//! `hover:`, `dark:` and responsive variants) from the class names used in `app/src`, and writes
//! `style/generated.css`. Run from the workspace root: `cargo run -p style`.
//!
//! Why encre-css and not tailwind-rs: tailwind-rs 0.2 no longer builds without manual pins and then drops
//! every variant (see README "Styles"). The views keep Tailwind's vocabulary, so the generator stays
//! swappable.

use std::path::{Path, PathBuf};

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_sources(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let root = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    let mut files = Vec::new();
    if let Err(err) = rust_sources(&root.join("app/src"), &mut files) {
        eprintln!("style: cannot read app/src under {}: {err}", root.display());
        return std::process::ExitCode::FAILURE;
    }
    files.sort();
    let sources: Vec<String> = files.iter().filter_map(|path| std::fs::read_to_string(path).ok()).collect();
    let config = encre_css::Config::default();
    let css = encre_css::generate(sources.iter().map(String::as_str), &config);
    let target = root.join("style/generated.css");
    if let Err(err) = std::fs::write(&target, css) {
        eprintln!("style: cannot write {}: {err}", target.display());
        return std::process::ExitCode::FAILURE;
    }
    eprintln!("style: {} source files -> {}", files.len(), target.display());
    std::process::ExitCode::SUCCESS
}
