//! The endpoint's hash tables: connection ids by address pair, and the
//! hash for the endpoint's own ids (live connections sit in the slab, see
//! `slab.rs`; compacted TIME-WAIT records in `time_wait.rs`).
//!
//! Ids are the endpoint's own numbers (slab slots and generations), so
//! nobody outside can choose them, and their hash is built for locality
//! rather than scatter (see [`id_hash`]). Address pairs come from the network: a peer picks its address and
//! port, so that table is keyed with SipHash-1-3 under a key derived from
//! the endpoint's secret, and a flood of crafted 4-tuples cannot pile into
//! one bucket.

use core::net::IpAddr;

use hashbrown::HashTable;
use siphasher::sip::SipHasher13;

use super::ConnId;
use crate::tcp::addr::AddrPair;

/// A pair that [`Tuples::get`] did not find, with its hash, so that adding
/// it right after costs no second hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Vacant {
    key: AddrPair,
    hash: u64,
}

/// Where the table finds the address pair of an id it holds: the
/// connection in the slab, or its TIME-WAIT record. Every id in the table
/// has one until it is removed.
pub(super) trait PairOf {
    /// The address pair of `id`, if it is still there.
    fn pair_of(&self, id: ConnId) -> Option<&AddrPair>;
}

/// The connection ids by (local, remote) address pair, with the last pair
/// found or added kept beside the table: a bulk flow's segments all carry
/// the same pair, a handshake's too, and comparing two pairs costs far less
/// than SipHash. Every change to the table goes through here, so the
/// remembered pair never outlives its entry.
///
/// The table holds each id with its pair's hash, 16 bytes a slot: the pair
/// itself already lives in the connection or its TIME-WAIT record, which
/// [`PairOf`] looks up to compare keys once the full hash matched. Storing
/// the 38-byte pair again would make every slot 48 bytes, and a table of
/// TIME-WAIT records, read at random when they expire, three times larger;
/// without the hash, every rehash (hashbrown rehashes in place once
/// removals have left enough tombstones, which a busy client's expiring
/// TIME-WAIT records do all the time) would look up every pair again.
/// Pairs are hashed as one block (both addresses, then both ports) since
/// SipHash takes whole blocks much faster than many small writes; a pair is
/// hashed once per packet at most. Both addresses are always of one family
/// here: segments carry them that way and `connect` refuses mixed ones.
#[derive(Debug)]
pub(super) struct Tuples {
    table: HashTable<(u64, ConnId)>,
    hash: TupleHash,
    /// The last pair found or added, its id and its hash: removing that
    /// id (a connection usually ends on a segment of its own) costs no
    /// second hash either.
    last: Option<(AddrPair, ConnId, u64)>,
}

impl Tuples {
    pub(super) fn new(hash: TupleHash) -> Tuples {
        Tuples {
            table: HashTable::new(),
            hash,
            last: None,
        }
    }

    /// The connection of `key`, or what adding one for it needs.
    #[inline]
    pub(super) fn get(&mut self, pairs: &impl PairOf, key: &AddrPair) -> Result<ConnId, Vacant> {
        if let Some((k, id, _)) = self.last
            && k == *key
        {
            return Ok(id);
        }
        let hash = self.hash.of(key);
        let found = self.table.find(hash, |&(h, id)| {
            h == hash && pairs.pair_of(id).is_some_and(|k| k == key)
        });
        match found {
            Some(&(_, id)) => {
                self.last = Some((*key, id, hash));
                Ok(id)
            }
            None => Err(Vacant { key: *key, hash }),
        }
    }

    /// [`get`](Self::get) for the pair a segment names, which is built
    /// only if it is not the remembered one.
    #[inline]
    pub(super) fn get_parts(
        &mut self,
        pairs: &impl PairOf,
        local: IpAddr,
        local_port: u16,
        remote: IpAddr,
        remote_port: u16,
    ) -> Result<ConnId, Vacant> {
        if let Some((k, id, _)) = &self.last
            && k.is(local, local_port, remote, remote_port)
        {
            return Ok(*id);
        }
        self.get(
            pairs,
            &AddrPair::from_parts(local, local_port, remote, remote_port),
        )
    }

    /// Adds the pair `get` did not find, for connection `id`. It becomes
    /// the remembered pair: the next segment is most likely for it (the
    /// handshake's second and third).
    pub(super) fn insert(&mut self, vacant: Vacant, id: ConnId) {
        self.last = Some((vacant.key, id, vacant.hash));
        self.table
            .insert_unique(vacant.hash, (vacant.hash, id), |&(h, _)| h);
    }

    /// The hash under which connection `id`, whose pair is `key`, is held:
    /// the remembered one if `id` is the last found or added (a connection
    /// entering TIME-WAIT just had a segment), else computed.
    pub(super) fn hash_of(&self, id: ConnId, key: &AddrPair) -> u64 {
        match self.last {
            Some((_, last, hash)) if last == id => hash,
            _ => self.hash.of(key),
        }
    }

    /// Removes connection `id`, whose pair is `key`. Slots are matched by
    /// id, so the pair of `id` need not be reachable any more.
    pub(super) fn remove(&mut self, id: ConnId, key: &AddrPair) {
        self.remove_hashed(id, self.hash_of(id, key));
    }

    /// Removes connection `id`, held under `hash` (see
    /// [`hash_of`](Self::hash_of)).
    pub(super) fn remove_hashed(&mut self, id: ConnId, hash: u64) {
        if self.last.is_some_and(|(_, last, _)| last == id) {
            self.last = None;
        }
        if let Ok(entry) = self.table.find_entry(hash, |&(_, e)| e == id) {
            entry.remove();
        }
    }

    /// How many pairs the table holds.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.table.len()
    }
}

/// The hash of one of the endpoint's own ids, for the table of TIME-WAIT
/// records.
///
/// The ids of one slab slot differ only in their generation (the high
/// half), and a client that opens and closes connection after connection
/// reuses the same slot or two: its records are compacted in generation
/// order and expire in that order. So the generation is added, not mixed:
/// consecutive ids of a slot get consecutive hashes, land in neighbouring
/// buckets, and inserting and expiring them walks the table in sequence
/// instead of missing the cache on each (a scattering hash cost about 7%
/// of an open+close cycle with 64K records waiting). The slot index is
/// multiplied in, so different slots start far apart. The top seven bits,
/// which the table compares before looking at a record, come from a
/// multiplicative mix of the whole id, so neighbours do not share them.
///
/// Ids are the endpoint's own numbers, never a peer's choice, so nothing
/// outside can aim them at one bucket.
#[inline]
pub(super) fn id_hash(id: ConnId) -> u64 {
    const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
    const TAG: u64 = 0xfe00_0000_0000_0000;
    let (index, generation) = (id.0 & 0xffff_ffff, id.0 >> 32);
    let place = generation.wrapping_add(index.wrapping_mul(MIX));
    (id.0.wrapping_mul(MIX) & TAG) | (place & !TAG)
}

/// Keyed SipHash-1-3 for address pairs chosen by peers.
#[derive(Clone, Copy)]
pub(super) struct TupleHash {
    /// Keyed once: the hasher's state after the key, which each hash
    /// starts from.
    sip: SipHasher13,
}

impl core::fmt::Debug for TupleHash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TupleHash { .. }")
    }
}

impl TupleHash {
    pub(super) fn new(key: [u8; 16]) -> TupleHash {
        TupleHash {
            sip: SipHasher13::new_with_key(&key),
        }
    }

    /// The hash of an address pair.
    #[inline]
    pub(super) fn of(&self, key: &AddrPair) -> u64 {
        key.with_hash_block(|block| self.sip.hash(block))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use core::net::SocketAddr;

    /// Pairs by id, as the slab and the TIME-WAIT records provide them.
    #[derive(Default)]
    struct Pairs(BTreeMap<u64, AddrPair>);

    impl PairOf for Pairs {
        fn pair_of(&self, id: ConnId) -> Option<&AddrPair> {
            self.0.get(&id.0)
        }
    }

    #[test]
    fn id_hashes_keep_a_slot_in_sequence() {
        let id = |index: u64, generation: u64| ConnId(generation << 32 | index);
        let tag = |h: u64| h >> 57;
        // Consecutive generations of one slot: neighbouring buckets.
        for index in [0, 1, 7, 1 << 20] {
            let first = id_hash(id(index, 0));
            for generation in 1..1000 {
                let h = id_hash(id(index, generation));
                assert_eq!(h & 0xffff, first.wrapping_add(generation) & 0xffff);
            }
        }
        // ... but not one tag for all of them.
        let tags: alloc::collections::BTreeSet<u64> =
            (0..1000).map(|g| tag(id_hash(id(3, g)))).collect();
        assert!(tags.len() > 100, "{} tags", tags.len());
        // Different slots start far apart.
        let starts: alloc::collections::BTreeSet<u64> =
            (0..1000).map(|i| id_hash(id(i, 0)) & 0xffff).collect();
        assert!(starts.len() > 980, "{} buckets", starts.len());
    }

    #[test]
    fn tables_store_and_find() {
        let a: SocketAddr = "10.0.0.1:80".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:4000".parse().unwrap();
        let a6: SocketAddr = "[fd00::1]:80".parse().unwrap();
        let b6: SocketAddr = "[fd00::2]:4000".parse().unwrap();
        // The IPv4-mapped forms of `a` and `b`: a different key.
        let am: SocketAddr = "[::ffff:10.0.0.1]:80".parse().unwrap();
        let bm: SocketAddr = "[::ffff:10.0.0.2]:4000".parse().unwrap();
        let key = AddrPair::new;
        let mut pairs = Pairs::default();
        let mut t = Tuples::new(TupleHash::new([7; 16]));
        let add = |t: &mut Tuples, pairs: &mut Pairs, pair: AddrPair, id: u64| {
            let vacant = t.get(pairs, &pair).expect_err("not there yet");
            pairs.0.insert(id, pair);
            t.insert(vacant, ConnId(id));
        };
        for (i, (l, r)) in [(a, b), (b, a), (am, bm), (a6, b6)].into_iter().enumerate() {
            add(&mut t, &mut pairs, key(l, r), i as u64 + 1);
        }
        // Many more, so that the table grows and rehashes.
        for port in 10_000..12_000 {
            let l = SocketAddr::new(a.ip(), port);
            add(&mut t, &mut pairs, key(l, b), u64::from(port));
        }
        assert_eq!(t.len(), 2004);
        for port in 10_000..12_000 {
            let l = SocketAddr::new(a.ip(), port);
            assert_eq!(t.get(&pairs, &key(l, b)), Ok(ConnId(u64::from(port))));
        }
        assert_eq!(t.get(&pairs, &key(a, b)), Ok(ConnId(1)));
        assert_eq!(t.get(&pairs, &key(b, a)), Ok(ConnId(2)));
        assert_eq!(t.get(&pairs, &key(am, bm)), Ok(ConnId(3)));
        assert_eq!(t.get(&pairs, &key(a6, b6)), Ok(ConnId(4)));
        assert!(t.get(&pairs, &key(b6, a6)).is_err());
        let hash = TupleHash::new([7; 16]);
        // Ports count, and so does their order.
        let a2: SocketAddr = "10.0.0.1:81".parse().unwrap();
        assert_ne!(hash.of(&key(a, b)), hash.of(&key(a2, b)));
        assert_ne!(hash.of(&key(a, b)), hash.of(&key(b, a)));
        assert_ne!(hash.of(&key(a6, b6)), hash.of(&key(b6, a6)));
        // Different keys order the same pairs differently.
        let h = |k: [u8; 16]| TupleHash::new(k).of(&key(a, b));
        assert_ne!(h([1; 16]), h([2; 16]));
        // The remembered pair follows removals.
        assert_eq!(t.get(&pairs, &key(a, b)), Ok(ConnId(1)));
        t.remove(ConnId(1), &key(a, b));
        pairs.0.remove(&1);
        assert!(t.get(&pairs, &key(a, b)).is_err());
        assert_eq!(t.get(&pairs, &key(b, a)), Ok(ConnId(2)));
        // Removing what is not there changes nothing.
        t.remove(ConnId(1), &key(a, b));
        assert_eq!(t.get(&pairs, &key(b, a)), Ok(ConnId(2)));
        assert_eq!(t.len(), 2003);
        add(&mut t, &mut pairs, key(a, b), 5);
        assert_eq!(t.last, Some((key(a, b), ConnId(5), hash.of(&key(a, b)))));
        assert_eq!(t.get(&pairs, &key(a, b)), Ok(ConnId(5)));
        // An id other than the remembered one is found by its pair's hash;
        // the remembered one by the hash kept with it (below).
        t.remove(ConnId(2), &key(b, a));
        pairs.0.remove(&2);
        assert_eq!(t.len(), 2003);
        assert!(t.get(&pairs, &key(b, a)).is_err());
        add(&mut t, &mut pairs, key(b, a), 2);
        assert_eq!(t.get(&pairs, &key(a, b)), Ok(ConnId(5)));
        // Slots go by id: removal works after the pair itself is gone,
        // and another id with the same pair is left alone.
        pairs.0.remove(&5);
        t.remove(ConnId(6), &key(a, b));
        assert_eq!(t.len(), 2004);
        t.remove(ConnId(5), &key(a, b));
        assert_eq!(t.last, None);
        assert_eq!(t.len(), 2003);
        assert!(t.get(&pairs, &key(a, b)).is_err());
        // An id whose pair no longer matches is not found under the old
        // pair (a stale slot can never answer for a new connection).
        pairs.0.insert(2, key(a2, b));
        t.last = None;
        assert!(t.get(&pairs, &key(b, a)).is_err());
        assert_eq!(
            alloc::format!("{:?}", TupleHash::new([0; 16])),
            "TupleHash { .. }"
        );
    }
}
