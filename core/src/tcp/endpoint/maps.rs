//! The endpoint's hash tables: connections by id and by address pair.
//!
//! Ids are the endpoint's own sequential numbers, so a fast multiplicative
//! hash spreads them well and nobody outside can choose them. Address pairs
//! come from the network: a peer picks its address and port, so that table
//! is keyed with SipHash-1-3 under a key derived from the endpoint's secret,
//! and a flood of crafted 4-tuples cannot pile into one bucket.

use core::hash::{BuildHasher, Hash, Hasher};
use core::net::SocketAddr;

use hashbrown::HashMap;
use siphasher::sip::SipHasher13;

use super::ConnId;
use crate::tcp::addr::AddrPair;

/// Tables keyed by connection id.
pub(super) type IdMap<V> = HashMap<ConnId, V, IdHash>;
/// Tables keyed by (local, remote) address pair.
pub(super) type TupleMap<V> = HashMap<TupleKey, V, TupleHash>;

/// A (local, remote) address pair as a table key: the compact pair (40
/// bytes a slot with its alignment, against 64 for two `SocketAddr`s),
/// hashed as one 36-byte block (both addresses, then both ports) since
/// SipHash takes whole blocks much faster than many small writes. Both
/// addresses are always of one family here: segments carry them that way
/// and `connect` refuses mixed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TupleKey(AddrPair);

impl TupleKey {
    pub(super) fn new(local: SocketAddr, remote: SocketAddr) -> TupleKey {
        TupleKey(AddrPair::new(local, remote))
    }
}

impl Hash for TupleKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.0.hash_block());
    }
}

/// The connection ids by address pair, with the last pair looked up kept
/// beside the table: a bulk flow's segments all carry the same pair, and
/// comparing two addresses costs far less than SipHash. Every change to the
/// table goes through here, so the remembered pair never outlives its entry.
#[derive(Debug)]
pub(super) struct Tuples {
    map: TupleMap<ConnId>,
    last: Option<((SocketAddr, SocketAddr), ConnId)>,
}

impl Tuples {
    pub(super) fn new(hash: TupleHash) -> Tuples {
        Tuples {
            map: TupleMap::with_hasher(hash),
            last: None,
        }
    }

    /// The connection of `key`, if any.
    #[inline]
    pub(super) fn get(&mut self, key: &(SocketAddr, SocketAddr)) -> Option<ConnId> {
        if let Some((k, id)) = self.last {
            if k == *key {
                return Some(id);
            }
        }
        let id = *self.map.get(&TupleKey::new(key.0, key.1))?;
        self.last = Some((*key, id));
        Some(id)
    }

    pub(super) fn contains(&self, key: &(SocketAddr, SocketAddr)) -> bool {
        self.map.contains_key(&TupleKey::new(key.0, key.1))
    }

    pub(super) fn insert(&mut self, key: (SocketAddr, SocketAddr), id: ConnId) {
        if self.last.is_some_and(|(k, _)| k == key) {
            self.last = Some((key, id));
        }
        self.map.insert(TupleKey::new(key.0, key.1), id);
    }

    pub(super) fn remove(&mut self, key: &(SocketAddr, SocketAddr)) {
        if self.last.is_some_and(|(k, _)| k == *key) {
            self.last = None;
        }
        self.map.remove(&TupleKey::new(key.0, key.1));
    }
}

/// A multiplicative hash for the endpoint's sequential ids.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct IdHash;

#[derive(Debug, Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl BuildHasher for IdHash {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher::default()
    }
}

/// Keyed SipHash-1-3 for address pairs chosen by peers.
#[derive(Clone, Copy)]
pub(super) struct TupleHash {
    key: [u8; 16],
}

impl core::fmt::Debug for TupleHash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TupleHash { .. }")
    }
}

impl TupleHash {
    pub(super) fn new(key: [u8; 16]) -> TupleHash {
        TupleHash { key }
    }
}

impl BuildHasher for TupleHash {
    type Hasher = SipHasher13;

    fn build_hasher(&self) -> SipHasher13 {
        SipHasher13::new_with_key(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_store_and_find() {
        let mut ids: IdMap<u32> = IdMap::with_hasher(IdHash);
        for i in 0..1000 {
            ids.insert(ConnId(i), i as u32);
        }
        assert!((0..1000).all(|i| ids.get(&ConnId(i)) == Some(&(i as u32))));
        let mut tuples: TupleMap<u8> = TupleMap::with_hasher(TupleHash::new([7; 16]));
        let a: SocketAddr = "10.0.0.1:80".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:4000".parse().unwrap();
        let a6: SocketAddr = "[fd00::1]:80".parse().unwrap();
        let b6: SocketAddr = "[fd00::2]:4000".parse().unwrap();
        // The IPv4-mapped forms of `a` and `b`: a different key.
        let am: SocketAddr = "[::ffff:10.0.0.1]:80".parse().unwrap();
        let bm: SocketAddr = "[::ffff:10.0.0.2]:4000".parse().unwrap();
        let key = TupleKey::new;
        tuples.insert(key(a, b), 1);
        tuples.insert(key(b, a), 2);
        tuples.insert(key(am, bm), 3);
        tuples.insert(key(a6, b6), 4);
        assert_eq!(tuples.get(&key(a, b)), Some(&1));
        assert_eq!(tuples.get(&key(b, a)), Some(&2));
        assert_eq!(tuples.get(&key(am, bm)), Some(&3));
        assert_eq!(tuples.get(&key(a6, b6)), Some(&4));
        assert_eq!(tuples.get(&key(b6, a6)), None);
        let hash = TupleHash::new([7; 16]);
        // Ports count, and so does their order.
        let a2: SocketAddr = "10.0.0.1:81".parse().unwrap();
        assert_ne!(hash.hash_one(key(a, b)), hash.hash_one(key(a2, b)));
        assert_ne!(hash.hash_one(key(a, b)), hash.hash_one(key(b, a)));
        assert_ne!(hash.hash_one(key(a6, b6)), hash.hash_one(key(b6, a6)));
        // Different keys order the same pairs differently.
        let h = |k: [u8; 16]| TupleHash::new(k).hash_one(key(a, b));
        assert_ne!(h([1; 16]), h([2; 16]));
        // The remembered pair follows inserts and removals.
        let mut t = Tuples::new(TupleHash::new([7; 16]));
        assert_eq!(t.get(&(a, b)), None);
        t.insert((a, b), ConnId(1));
        assert_eq!(t.get(&(a, b)), Some(ConnId(1)));
        t.insert((a, b), ConnId(2));
        assert_eq!(t.get(&(a, b)), Some(ConnId(2)));
        t.insert((b, a), ConnId(3));
        assert_eq!(t.get(&(b, a)), Some(ConnId(3)));
        assert_eq!(t.get(&(a, b)), Some(ConnId(2)));
        t.remove(&(a, b));
        assert_eq!(t.get(&(a, b)), None);
        assert!(!t.contains(&(a, b)) && t.contains(&(b, a)));
        assert_eq!(
            alloc::format!("{:?}", TupleHash::new([0; 16])),
            "TupleHash { .. }"
        );
    }
}
