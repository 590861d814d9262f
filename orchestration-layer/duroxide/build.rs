//! Links libdurastore, the C++ library meson builds (scripts/setup builds it in build/).
//!
//! The static library is linked so that binaries of crates depending on this one need
//! nothing at run time beyond the system libraries libdurastore uses (LMDB, liburing when
//! the build has it, libstdc++). DURASTORE_BUILD_DIR names the meson build directory;
//! the default is build/ at the repository root.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=DURASTORE_BUILD_DIR");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let build_dir = match std::env::var_os("DURASTORE_BUILD_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => manifest.join("../../build"),
    };
    let lib = build_dir.join("libdurastore.a");
    if !lib.exists() {
        panic!(
            "{} not found: run scripts/setup (or `ninja -C build libdurastore.a`) first, \
             or set DURASTORE_BUILD_DIR to a meson build directory",
            lib.display()
        );
    }
    let build_dir = build_dir.canonicalize().expect("build dir resolves");
    println!("cargo:rerun-if-changed={}", lib.display());
    println!("cargo:rustc-link-search=native={}", build_dir.display());
    println!("cargo:rustc-link-lib=static=durastore");
    println!("cargo:rustc-link-lib=dylib=lmdb");
    let config = std::fs::read_to_string(build_dir.join("durastore_config.h")).unwrap_or_default();
    if config.contains("DURASTORE_HAVE_LIBURING 1") {
        println!("cargo:rustc-link-lib=dylib=uring");
    }
    println!("cargo:rustc-link-lib=dylib=stdc++");
}
