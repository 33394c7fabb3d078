//! Secrets from the operating system, for callers that pass none.

/// 16 random bytes from the operating system: `/dev/urandom` where it
/// exists (Linux's getrandom pool, the BSDs, macOS), else std's per-process
/// random hash keys mixed with the wall clock.
pub(crate) fn os_secret() -> [u8; 16] {
    use std::io::Read;
    let mut secret = [0u8; 16];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut secret))
        .is_ok()
    {
        return secret;
    }
    use std::hash::{BuildHasher, Hasher};
    let keys = std::collections::hash_map::RandomState::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for (i, half) in secret.chunks_mut(8).enumerate() {
        let mut h = keys.build_hasher();
        h.write_usize(i);
        h.write_u128(now);
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    secret
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_differ() {
        assert_ne!(super::os_secret(), super::os_secret());
    }
}
