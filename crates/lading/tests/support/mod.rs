//! Running the real `lading` binary from the tests: a data directory, arguments, standard input.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `lading --data-dir <dir> <args>` with `stdin`, without the caller's key or log settings.
pub fn lading_with_stdin(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_lading"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("LADING_SECRET_KEY")
        .env_remove("LADING_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the lading binary starts");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("lading finishes")
}

/// Standard output and error together, for assertion messages.
pub fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}
