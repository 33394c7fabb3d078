//! The library's version, at run time and in the header's macros.

use core::ffi::c_char;

use crate::panic::ffi_boundary;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library's version as a NUL-terminated string such as `"0.1.0"`; it
/// equals the header's `WIRESTATE_VERSION` when header and library match.
///
/// Ownership: the string is static; do not free it. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_version() -> *const c_char {
    ffi_boundary(|| VERSION.as_ptr().cast())
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    #[test]
    fn version_is_the_crate_version() {
        // SAFETY: `wirestate_version` returns a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(wirestate_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }

    /// The committed header must be what build.rs generates from the sources.
    /// Refresh it with `WIRESTATE_UPDATE_HEADER=1 cargo build -p wirestate-ffi`.
    #[test]
    fn committed_header_is_fresh() {
        let generated = include_str!(env!("WIRESTATE_GENERATED_HEADER"));
        let committed = include_str!("../include/wirestate.h");
        assert!(
            generated == committed,
            "ffi/include/wirestate.h is stale: run \
             `WIRESTATE_UPDATE_HEADER=1 cargo build -p wirestate-ffi` and commit it"
        );
    }

    #[test]
    fn header_has_the_version_macros() {
        let header = include_str!(env!("WIRESTATE_GENERATED_HEADER"));
        let (major, minor, patch) = (
            env!("CARGO_PKG_VERSION_MAJOR"),
            env!("CARGO_PKG_VERSION_MINOR"),
            env!("CARGO_PKG_VERSION_PATCH"),
        );
        assert!(header.contains(&format!("#define WIRESTATE_VERSION_MAJOR {major}\n")));
        assert!(header.contains(&format!("#define WIRESTATE_VERSION_MINOR {minor}\n")));
        assert!(header.contains(&format!("#define WIRESTATE_VERSION_PATCH {patch}\n")));
        assert!(header.contains(&format!(
            "#define WIRESTATE_VERSION \"{}\"\n",
            env!("CARGO_PKG_VERSION")
        )));
    }
}
