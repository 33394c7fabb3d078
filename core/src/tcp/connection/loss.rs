//! What a connection keeps only once something went wrong: a loss, a
//! retransmission, a timeout, a duplicate segment from the peer, a zero
//! window to probe, or a peer (or attacker) sending segments that need a
//! RST or a challenge ACK.
//!
//! A connection that never meets any of these never needs this state, and
//! most connections never do, so it is not part of the connection itself:
//! [`LossSlot`] allocates it on first use, one fixed-size box per connection
//! that stays until the connection is dropped. That keeps every connection
//! smaller (they sit in the endpoint's table, so every byte counts many
//! times over) while the memory a peer can make a connection hold stays
//! bounded: at most this one box, of a size known at compile time (the
//! SACK scoreboard inside keeps its own bound of
//! [`SCOREBOARD_RANGES`] ranges).
//!
//! Whatever reads this state while it is absent gets what a fresh state
//! would say: zero counters, no recovery point passed, nothing SACKed.
//! Whether fast recovery is in progress is never asked here: the window
//! and the connection's flags say that, so the paths taken on every
//! segment never look at the box when it is absent.

use alloc::boxed::Box;

use super::SCOREBOARD_RANGES;
use super::lost_retransmit::Resent;
use super::prr::Prr;
use crate::tcp::congestion::{Algorithm, Growth, Window};
use crate::tcp::scoreboard::{DUP_THRESH, Scoreboard};
use crate::tcp::seq::SeqNumber;

/// Counts of events that only happen when something went wrong, for
/// [`Stats`](super::Stats). The `u32` counts saturate: at one a
/// microsecond they would take over an hour to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct LossCounters {
    /// Data bytes retransmitted.
    pub bytes_retransmitted: u64,
    /// Segments retransmitted (any reason).
    pub retransmits: u32,
    /// Retransmission timeouts.
    pub timeouts: u32,
    /// Fast retransmits (entries into fast recovery).
    pub fast_retransmits: u32,
    /// Duplicate ACKs received.
    pub dup_acks: u32,
    /// Congestion responses undone as spurious.
    pub undos: u32,
    /// Tail loss probes sent.
    pub tail_loss_probes: u32,
    /// Tail loss probes that repaired a loss.
    pub tail_loss_recoveries: u32,
    /// Times retransmissions were found lost during SACK recovery.
    pub lost_retransmissions: u32,
}

/// A tail loss probe awaiting the ACK that settles it (see `probe.rs`).
#[derive(Debug, Clone, Copy)]
pub(super) struct TailProbe {
    /// `SND.MAX` after the probe: the episode ends with an ACK this far.
    pub end: SeqNumber,
    /// Whether the probe resent the last segment (rather than new data).
    pub retransmitted: bool,
    /// Our timestamp clock when it was sent.
    pub ts: u32,
    /// Bytes the probe may send past the congestion window: one segment
    /// while a probe of new data is being built, zero otherwise.
    pub allowance: u32,
}

/// A congestion response (fast recovery or a retransmission timeout) that
/// may yet prove spurious: what it changed, kept until the first ACK to
/// cover the first byte it retransmitted says whether that retransmission
/// was needed (Eifel detection, RFC 3522, with timestamps), or without
/// timestamps until D-SACK blocks report every retransmission as a
/// duplicate (RFC 3708) or the next response replaces it.
#[derive(Debug, Clone)]
pub(super) struct Undo {
    /// The window before the response.
    pub window: Window,
    /// The algorithm's state before the response.
    pub growth: Growth,
    /// Our timestamp clock when the response began: an ACK echoing an
    /// older timestamp acknowledges a transmission from before it.
    pub ts: u32,
    /// `SND.UNA` when the response began: the first byte retransmitted.
    pub marker: SeqNumber,
    /// `SND.MAX` when the response began: the episode's retransmissions
    /// lie between `marker` and this.
    pub high: SeqNumber,
    /// Whether the response was a retransmission timeout (which also
    /// rewound `SND.NXT`).
    pub timeout: bool,
    /// The reordering estimate before the response (a timeout resets it).
    pub reordering: u8,
    /// Without timestamps: segments retransmitted since the response began
    /// that the peer has not yet reported, with a D-SACK block, as received
    /// twice. When every one has been, none was needed (RFC 3708).
    pub unreported: u16,
    /// Without timestamps: every retransmission was reported as a
    /// duplicate while recovery still ran; undo when it ends.
    pub all_reported: bool,
    /// The duplicate ACKs in a row when `SND.UNA` first moved past
    /// `marker`: the segments that overtook the first one retransmitted,
    /// should it prove to have been late rather than lost.
    pub overtaken: u16,
}

/// The state of a connection that has met trouble (see the module doc).
#[derive(Debug, Clone)]
pub(super) struct LossState {
    /// The congestion control algorithm's own state (CUBIC's curve, Reno's
    /// byte count); the window itself stays in the connection. Needed
    /// from the first loss, or in congestion avoidance without one (which
    /// only a window grown past 4 GiB reaches).
    pub growth: Growth,
    /// The NewReno `recover` point (RFC 6582 §3.2) as `SND.MAX`, one past
    /// the highest sequence number sent, once a recovery or timeout set
    /// it; before that, just behind `SND.UNA` as it was when
    /// this state was made. It never falls more than a quarter of the
    /// sequence space behind `SND.UNA` (see `recovery_on_new_ack`).
    pub recover: SeqNumber,
    /// The next byte SACK recovery may retransmit (RFC 6675 `HighRxt`).
    pub rexmit_next: SeqNumber,
    /// What the peer reported holding past `SND.UNA` (RFC 6675).
    pub scoreboard: Scoreboard<SCOREBOARD_RANGES>,
    /// This SACK recovery's retransmissions, until they arrive or prove
    /// lost (see `lost_retransmit.rs`).
    pub resent: Resent,
    /// The current SACK recovery's rate reduction (see `prr.rs`).
    pub prr: Prr,
    /// Duplicate ACKs in a row (saturating).
    pub dup_acks: u16,
    /// Retransmission timeouts in a row (SYN retries included); see
    /// [`reached`](super::reached) for the 16-bit counts.
    pub rto_count: u16,
    /// Challenge ACKs sent in the current one-second window, and when that
    /// window began (see [`Instant::millis_u32`](crate::time::Instant::millis_u32)).
    pub challenge_count: u16,
    pub challenge_epoch: u32,
    /// Our timestamp clock when the retransmission timer last fired, valid
    /// once [`Flags::TS_RTO`](super::Flags::TS_RTO) is set; echoes of older
    /// timestamps say nothing about the current round trip.
    pub ts_rto: u32,
    /// The sequence number of the RST owed when
    /// [`Flags::RST`](super::Flags::RST) is set.
    pub rst_seq: SeqNumber,
    /// Counts for [`Stats`](super::Stats).
    pub counters: LossCounters,
    /// A duplicate segment's sequence range, for the first SACK block of
    /// the next segment sent (D-SACK, RFC 2883), when SACK is in use.
    pub dsack: Option<(SeqNumber, SeqNumber)>,
    /// The congestion response that may still be undone.
    pub undo: Option<Undo>,
    /// Zero-window probes sent since the peer last acknowledged anything
    /// (see `on_persist_timeout`).
    pub unanswered_probes: u16,
    /// How many segments the path has been seen to reorder by: the
    /// duplicate-ACK threshold, `DUP_THRESH` until a fast retransmit
    /// proves spurious (see `Connection::dup_thresh`).
    pub reordering: u8,
    /// The tail loss probe of the current episode, if one was sent.
    pub tail_probe: Option<TailProbe>,
}

impl LossState {
    /// The state as it would be had it existed from the start: a
    /// connection using `algorithm` that has acknowledged everything
    /// before `snd_una` without a recovery.
    fn new(snd_una: SeqNumber, algorithm: Algorithm) -> Self {
        LossState {
            growth: Growth::new(algorithm),
            recover: snd_una - 1u32,
            rexmit_next: snd_una,
            scoreboard: Scoreboard::new(),
            resent: Resent::default(),
            prr: Prr::default(),
            dup_acks: 0,
            rto_count: 0,
            challenge_count: 0,
            challenge_epoch: 0,
            ts_rto: 0,
            rst_seq: SeqNumber::default(),
            counters: LossCounters::default(),
            dsack: None,
            undo: None,
            unanswered_probes: 0,
            reordering: DUP_THRESH as u8,
            tail_probe: None,
        }
    }
}

/// Where a connection keeps its [`LossState`]: nothing (8 bytes) until the
/// first time it is needed.
#[derive(Debug, Clone, Default)]
pub(super) struct LossSlot(Option<Box<LossState>>);

impl LossSlot {
    /// The state, if it was ever needed.
    #[inline]
    pub(super) fn get(&self) -> Option<&LossState> {
        self.0.as_deref()
    }

    /// The state, if it was ever needed, for changing.
    #[inline]
    pub(super) fn get_mut(&mut self) -> Option<&mut LossState> {
        self.0.as_deref_mut()
    }

    /// The state, allocated now if this is the first time it is needed;
    /// `snd_una` and `algorithm` are the connection's, for a fresh state.
    #[inline]
    pub(super) fn make(&mut self, snd_una: SeqNumber, algorithm: Algorithm) -> &mut LossState {
        self.0
            .get_or_insert_with(|| LossSlot::allocate(snd_una, algorithm))
    }

    #[cold]
    #[inline(never)]
    fn allocate(snd_una: SeqNumber, algorithm: Algorithm) -> Box<LossState> {
        Box::new(LossState::new(snd_una, algorithm))
    }

    /// Whether the state was ever allocated.
    #[cfg(test)]
    pub(super) fn is_allocated(&self) -> bool {
        self.0.is_some()
    }
}
