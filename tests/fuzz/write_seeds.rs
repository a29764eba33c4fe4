//! Writes the hostile files the engine's `hostile_files` test generates into
//! a folder, as seeds for the fuzzers. Plain `std`, built by `smoke.sh` with
//! `rustc` alone in about a second:
//!
//!     rustc --edition 2024 -O -o write-seeds tests/fuzz/write_seeds.rs
//!     ./write-seeds FOLDER

#[allow(dead_code)]
#[path = "../../shared/engine/tests/hostile/files.rs"]
mod files;

fn main() {
    let Some(folder) = std::env::args_os().nth(1) else {
        eprintln!("usage: write-seeds FOLDER");
        std::process::exit(2);
    };
    let folder = std::path::PathBuf::from(folder);
    std::fs::create_dir_all(&folder).expect("the seeds folder");
    for (name, bytes) in files::all_files() {
        std::fs::write(folder.join(name), bytes).expect("a seed file");
    }
}
