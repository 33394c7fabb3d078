//! Generates `wirestate.h` with cbindgen and a `wirestate.pc` for pkg-config.
//!
//! - The header goes to `$OUT_DIR/wirestate.h` and to
//!   `<target>/<profile>/include/wirestate.h`; the committed copy in
//!   `ffi/include/wirestate.h` is rewritten only when `WIRESTATE_UPDATE_HEADER=1`
//!   is set. A test in `src/version.rs` and `scripts/c-tests.sh` fail when the
//!   committed copy differs from the generated one.
//! - `wirestate.pc` goes to `<target>/<profile>/`, describing that build tree
//!   (`libdir` is the profile directory, `includedir` its `include/`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WIRESTATE_UPDATE_HEADER");

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let version = env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION");
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("CARGO_PKG_VERSION_MAJOR");
    let minor = env::var("CARGO_PKG_VERSION_MINOR").expect("CARGO_PKG_VERSION_MINOR");
    let patch = env::var("CARGO_PKG_VERSION_PATCH").expect("CARGO_PKG_VERSION_PATCH");

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is readable and valid");
    config.after_includes = Some(format!(
        "\n// The version of the library this header belongs to; compare with\n\
         // `wirestate_version()` at run time.\n\
         #define WIRESTATE_VERSION_MAJOR {major}\n\
         #define WIRESTATE_VERSION_MINOR {minor}\n\
         #define WIRESTATE_VERSION_PATCH {patch}\n\
         #define WIRESTATE_VERSION \"{version}\"\n"
    ));
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate wirestate.h");

    let generated = out_dir.join("wirestate.h");
    bindings.write_to_file(&generated);
    // The test in src/version.rs compares this file with the committed header.
    println!(
        "cargo:rustc-env=WIRESTATE_GENERATED_HEADER={}",
        generated.display()
    );

    if env::var_os("WIRESTATE_UPDATE_HEADER").is_some_and(|v| v == "1") {
        let committed = crate_dir.join("include").join("wirestate.h");
        fs::create_dir_all(committed.parent().expect("include dir")).expect("create ffi/include");
        fs::copy(&generated, &committed).expect("write ffi/include/wirestate.h");
    }

    if let Some(profile_dir) = profile_dir(&out_dir) {
        let include = profile_dir.join("include");
        if fs::create_dir_all(&include).is_ok() {
            let _ = fs::copy(&generated, include.join("wirestate.h"));
        }
        let pc = format!(
            "prefix={prefix}\n\
             libdir=${{prefix}}\n\
             includedir=${{prefix}}/include\n\
             \n\
             Name: wirestate\n\
             Description: Sans-IO TCP and WebSocket state machines (C API)\n\
             Version: {version}\n\
             Libs: -L${{libdir}} -lwirestate\n\
             Libs.private: -lpthread -ldl -lm\n\
             Cflags: -I${{includedir}}\n",
            prefix = profile_dir.display(),
        );
        let _ = fs::write(profile_dir.join("wirestate.pc"), pc);
    }
}

/// `<target>/<profile>` (or `<target>/<triple>/<profile>`) from
/// `<...>/<profile>/build/<pkg>-<hash>/out`.
fn profile_dir(out_dir: &Path) -> Option<PathBuf> {
    let dir = out_dir.parent()?.parent()?.parent()?;
    (dir.join("build").is_dir()).then(|| dir.to_path_buf())
}
