//! The endpoint's hash tables: connection ids by address pair, and the
//! hash for the endpoint's own ids (live connections sit in the slab, see
//! `slab.rs`; compacted TIME-WAIT records in `time_wait.rs`).
//!
//! Ids are the endpoint's own numbers (slab slots and generations), so
//! nobody outside can choose them, and their hash is built for locality
//! rather than scatter (see [`id_hash`]). Address pairs come from the
//! network: a peer picks its address and port, so that table is keyed
//! with SipHash-1-3 under a key derived from the endpoint's secret, and a
//! flood of crafted 4-tuples cannot pile into one bucket.

use core::net::IpAddr;

use hashbrown::HashTable;
use siphasher::sip::SipHasher13;

use super::ConnId;
use super::time_wait::Moved;
use crate::tcp::addr::AddrPair;

/// A pair that [`Tuples::get`] did not find, with its hash, so that adding
/// it right after costs no second hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Vacant {
    key: AddrPair,
    hash: u64,
}

/// What the pair table holds for a pair: a connection in the slab, or the
/// ticket of a compacted TIME-WAIT record (see `time_wait.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Held {
    Live(ConnId),
    Waiting(u64),
}

/// Where the table finds the address pair of what it holds: the
/// connection in the slab, or the TIME-WAIT record. Everything in the
/// table has one until it is removed, except the records that expired.
pub(super) trait PairOf {
    /// The address pair of `held`, if it is still there.
    fn pair_of(&self, held: Held) -> Option<&AddrPair>;
    /// Whether the TIME-WAIT record `ticket` named has expired.
    fn expired(&self, ticket: u64) -> bool;
}

/// The low bit of a slot's stored hash: set when the slot holds a
/// TIME-WAIT ticket, clear for a connection id. The table hashes with the
/// bit cleared, so both kinds of a pair's slot sit in the same place.
const WAITING: u64 = 1;

/// A slot as stored: the pair's hash with the kind in its low bit, and
/// the id or ticket.
fn slot(hash: u64, held: Held) -> (u64, u64) {
    match held {
        Held::Live(id) => (hash & !WAITING, id.0),
        Held::Waiting(ticket) => (hash | WAITING, ticket),
    }
}

/// What a stored slot holds.
#[inline]
fn held(&(hash, value): &(u64, u64)) -> Held {
    if hash & WAITING == 0 {
        Held::Live(ConnId(value))
    } else {
        Held::Waiting(value)
    }
}

/// Fewer expired slots than this are never swept out (see
/// [`Tuples::expired`]).
const MIN_SWEEP: usize = 1024;

/// The connections by (local, remote) address pair, with the last pair
/// found or added kept beside the table: a bulk flow's segments all carry
/// the same pair, a handshake's too, and comparing two pairs costs far less
/// than SipHash. Every change to the table goes through here, so the
/// remembered pair never outlives its entry.
///
/// The table holds each connection id or TIME-WAIT ticket with its pair's
/// hash, 16 bytes a slot: the pair itself already lives in the connection
/// or its TIME-WAIT record, which [`PairOf`] looks up to compare keys once
/// the full hash matched. Storing the 38-byte pair again would make every
/// slot 48 bytes, and a table of TIME-WAIT records three times larger;
/// without the hash, every rehash (hashbrown rehashes in place once
/// removals have left enough tombstones) would look up every pair again.
/// Pairs are hashed as one block (both addresses, then both ports) since
/// SipHash takes whole blocks much faster than many small writes; a pair is
/// hashed once per packet at most. Both addresses are always of one family
/// here: segments carry them that way and `connect` refuses mixed ones.
///
/// The slots of expired TIME-WAIT records are not removed one by one: in
/// a table of tens of thousands of records each removal missed the cache,
/// and that was most of the time an expiry took. They stay, marked by
/// their tickets (which [`PairOf::expired`] tells apart), are taken over
/// by the next connection of the same pair, and are swept out in one pass
/// over the table once they are as many as the other slots.
#[derive(Debug)]
pub(super) struct Tuples {
    table: HashTable<(u64, u64)>,
    hash: TupleHash,
    /// The last pair found or added, what it is held by and its hash
    /// (without the kind bit): removing that connection (a connection
    /// usually ends on a segment of its own) costs no second hash either.
    last: Option<(AddrPair, Held, u64)>,
    /// How many slots belong to expired records.
    expired: usize,
}

impl Tuples {
    pub(super) fn new(hash: TupleHash) -> Tuples {
        Tuples {
            table: HashTable::new(),
            hash,
            last: None,
            expired: 0,
        }
    }

    /// The hash a pair's slot is found under.
    #[inline]
    fn hash(&self, key: &AddrPair) -> u64 {
        self.hash.of(key) & !WAITING
    }

    /// What holds `key`, or what adding a connection for it needs.
    #[inline]
    pub(super) fn get(&mut self, pairs: &impl PairOf, key: &AddrPair) -> Result<Held, Vacant> {
        if let Some((k, held, _)) = self.last
            && k == *key
        {
            return Ok(held);
        }
        let hash = self.hash(key);
        let found = self.table.find(hash, |s| {
            s.0 & !WAITING == hash && pairs.pair_of(held(s)).is_some_and(|k| k == key)
        });
        match found {
            Some(s) => {
                let held = held(s);
                self.last = Some((*key, held, hash));
                Ok(held)
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
    ) -> Result<Held, Vacant> {
        if let Some((k, held, _)) = &self.last
            && k.is(local, local_port, remote, remote_port)
        {
            return Ok(*held);
        }
        self.get(
            pairs,
            &AddrPair::from_parts(local, local_port, remote, remote_port),
        )
    }

    /// Adds the pair `get` did not find, for connection `id`, in the slot
    /// of an expired record of the same hash if there is one. It becomes
    /// the remembered pair: the next segment is most likely for it (the
    /// handshake's second and third).
    pub(super) fn insert(&mut self, pairs: &impl PairOf, vacant: Vacant, id: ConnId) {
        let hash = vacant.hash;
        self.last = Some((vacant.key, Held::Live(id), hash));
        if self.expired > 0 {
            let stale = self
                .table
                .find_mut(hash, |s| s.0 == hash | WAITING && pairs.expired(s.1));
            if let Some(stale) = stale {
                *stale = slot(hash, Held::Live(id));
                self.expired -= 1;
                return;
            }
        }
        self.table
            .insert_unique(hash, slot(hash, Held::Live(id)), |s| s.0 & !WAITING);
    }

    /// The hash under which connection `id`, whose pair is `key`, is held:
    /// the remembered one if `id` is the last found or added (a connection
    /// entering TIME-WAIT just had a segment), else computed.
    pub(super) fn hash_of(&self, id: ConnId, key: &AddrPair) -> u64 {
        match self.last {
            Some((_, Held::Live(last), hash)) if last == id => hash,
            _ => self.hash(key),
        }
    }

    /// Connection `id`, held under `hash`, was compacted into the
    /// TIME-WAIT record `ticket`.
    pub(super) fn wait(&mut self, id: ConnId, hash: u64, ticket: u64) {
        self.replace(hash, Held::Live(id), Held::Waiting(ticket));
    }

    /// A TIME-WAIT record moved in its ring and got another ticket.
    pub(super) fn moved(&mut self, m: Moved) {
        self.replace(m.pair_hash, Held::Waiting(m.from), Held::Waiting(m.to));
    }

    /// The slot holding `old` under `hash` holds `new` from now on.
    fn replace(&mut self, hash: u64, old: Held, new: Held) {
        let old_slot = slot(hash, old);
        if let Some(s) = self.table.find_mut(hash, |s| *s == old_slot) {
            *s = slot(hash, new);
        }
        if let Some((_, last, _)) = &mut self.last
            && *last == old
        {
            *last = new;
        }
    }

    /// Removes connection `id`, whose pair is `key`.
    pub(super) fn remove(&mut self, id: ConnId, key: &AddrPair) {
        self.remove_hashed(Held::Live(id), self.hash_of(id, key));
    }

    /// Removes `held`, whose pair's hash is `hash` (see
    /// [`hash_of`](Self::hash_of)). Slots are matched by what they hold,
    /// so the pair need not be reachable any more.
    pub(super) fn remove_hashed(&mut self, held: Held, hash: u64) {
        if self.last.is_some_and(|(_, last, _)| last == held) {
            self.last = None;
        }
        let wanted = slot(hash, held);
        if let Ok(entry) = self.table.find_entry(hash & !WAITING, |s| *s == wanted) {
            entry.remove();
        }
    }

    /// `count` more TIME-WAIT records expired (their slots stay, see
    /// above). Once the expired slots are as many as the others, and at
    /// least [`MIN_SWEEP`], one pass over the table drops them all: a
    /// sweep visits every bucket, and comes after at least as many
    /// expiries as the slots it keeps, so it costs a few bucket visits per
    /// record expired, read in sequence.
    pub(super) fn expired(&mut self, count: usize, pairs: &impl PairOf) {
        if let Some((_, Held::Waiting(ticket), _)) = self.last
            && pairs.expired(ticket)
        {
            self.last = None;
        }
        self.expired += count;
        if self.expired >= MIN_SWEEP && self.expired * 2 >= self.table.len() {
            self.table
                .retain(|s| s.0 & WAITING == 0 || !pairs.expired(s.1));
            self.expired = 0;
        }
    }

    /// How many live pairs the table holds (expired slots not counted).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.table.len() - self.expired
    }

    /// How many slots the table holds, expired ones too.
    #[cfg(test)]
    pub(super) fn slots(&self) -> usize {
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

    /// Pairs by id and by ticket, as the slab and the TIME-WAIT records
    /// provide them; tickets below `first` have expired.
    #[derive(Default)]
    struct Pairs(BTreeMap<u64, AddrPair>, BTreeMap<u64, AddrPair>, u64);

    impl PairOf for Pairs {
        fn pair_of(&self, held: Held) -> Option<&AddrPair> {
            match held {
                Held::Live(id) => self.0.get(&id.0),
                Held::Waiting(t) if t >= self.2 => self.1.get(&t),
                Held::Waiting(_) => None,
            }
        }

        fn expired(&self, ticket: u64) -> bool {
            ticket < self.2
        }
    }

    fn live(id: u64) -> Result<Held, Vacant> {
        Ok(Held::Live(ConnId(id)))
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

    /// Compacted connections are held by ticket; expired tickets are not
    /// found, their slots are taken over by the next connection of their
    /// pair, and swept out once they are as many as the live slots.
    #[test]
    fn expired_records_leave_slots_that_are_reused_or_swept() {
        let pair = |port: u16| {
            let l = SocketAddr::new("10.0.0.1".parse().unwrap(), port);
            AddrPair::new(l, "10.0.0.2:80".parse().unwrap())
        };
        let mut pairs = Pairs::default();
        let mut t = Tuples::new(TupleHash::new([3; 16]));
        // 3000 connections, all compacted: ticket i for port 1000 + i.
        let n = 3000u64;
        for i in 0..n {
            let key = pair(1000 + i as u16);
            let vacant = t.get(&pairs, &key).expect_err("new");
            pairs.0.insert(i, key);
            t.insert(&pairs, vacant, ConnId(i));
            let hash = t.hash_of(ConnId(i), &key);
            pairs.0.remove(&i);
            pairs.1.insert(i, key);
            t.wait(ConnId(i), hash, i);
            assert_eq!(t.get(&pairs, &key), Ok(Held::Waiting(i)));
        }
        assert_eq!((t.len(), t.slots()), (3000, 3000));
        // A record that moved is found under its new ticket.
        let key = pair(1000);
        let hash = t.hash_of(ConnId(u64::MAX), &key);
        t.moved(Moved {
            pair_hash: hash,
            from: 0,
            to: n,
        });
        pairs.1.insert(n, key);
        t.last = None;
        assert_eq!(t.get(&pairs, &key), Ok(Held::Waiting(n)));
        // The first 1000 expire (the moved one stays): no longer found, but
        // their slots stay; the remembered pair is forgotten if it was one.
        let key = pair(1500);
        assert_eq!(t.get(&pairs, &key), Ok(Held::Waiting(500)));
        pairs.2 = 1001;
        t.expired(1000, &pairs);
        assert!(t.last.is_none());
        assert_eq!((t.len(), t.slots()), (2000, 3000));
        assert!(t.get(&pairs, &pair(1001)).is_err());
        assert_eq!(t.get(&pairs, &pair(1000)), Ok(Held::Waiting(n)));
        // A new connection of an expired pair takes over its slot.
        let key = pair(1001);
        let vacant = t.get(&pairs, &key).expect_err("expired");
        pairs.0.insert(7, key);
        t.insert(&pairs, vacant, ConnId(7));
        assert_eq!((t.len(), t.slots()), (2001, 3000));
        t.last = None;
        assert_eq!(t.get(&pairs, &key), live(7));
        // Another 1500 expire: now more than the rest, and swept out.
        pairs.2 = 2501;
        t.expired(1500, &pairs);
        assert_eq!((t.len(), t.slots()), (501, 501));
        for i in 2501..n {
            assert_eq!(t.get(&pairs, &pair(1000 + i as u16)), Ok(Held::Waiting(i)));
        }
        assert_eq!(t.get(&pairs, &pair(1001)), live(7));
        assert_eq!(t.get(&pairs, &pair(1000)), Ok(Held::Waiting(n)));
        // Removing a record early (a RST) drops its slot at once.
        let hash = t.hash_of(ConnId(u64::MAX), &pair(1000));
        t.remove_hashed(Held::Waiting(n), hash);
        assert!(t.get(&pairs, &pair(1000)).is_err());
        assert_eq!((t.len(), t.slots()), (500, 500));
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
            t.insert(pairs, vacant, ConnId(id));
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
            assert_eq!(t.get(&pairs, &key(l, b)), live(u64::from(port)));
        }
        assert_eq!(t.get(&pairs, &key(a, b)), live(1));
        assert_eq!(t.get(&pairs, &key(b, a)), live(2));
        assert_eq!(t.get(&pairs, &key(am, bm)), live(3));
        assert_eq!(t.get(&pairs, &key(a6, b6)), live(4));
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
        assert_eq!(t.get(&pairs, &key(a, b)), live(1));
        t.remove(ConnId(1), &key(a, b));
        pairs.0.remove(&1);
        assert!(t.get(&pairs, &key(a, b)).is_err());
        assert_eq!(t.get(&pairs, &key(b, a)), live(2));
        // Removing what is not there changes nothing.
        t.remove(ConnId(1), &key(a, b));
        assert_eq!(t.get(&pairs, &key(b, a)), live(2));
        assert_eq!(t.len(), 2003);
        add(&mut t, &mut pairs, key(a, b), 5);
        assert_eq!(
            t.last,
            Some((
                key(a, b),
                Held::Live(ConnId(5)),
                hash.of(&key(a, b)) & !WAITING
            ))
        );
        assert_eq!(t.get(&pairs, &key(a, b)), live(5));
        // An id other than the remembered one is found by its pair's hash;
        // the remembered one by the hash kept with it (below).
        t.remove(ConnId(2), &key(b, a));
        pairs.0.remove(&2);
        assert_eq!(t.len(), 2003);
        assert!(t.get(&pairs, &key(b, a)).is_err());
        add(&mut t, &mut pairs, key(b, a), 2);
        assert_eq!(t.get(&pairs, &key(a, b)), live(5));
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
