//! permessage-deflate (RFC 7692): negotiation, and the per-connection
//! compressor and decompressor.
//!
//! Each message is one raw DEFLATE stream segment ending in a sync flush; the
//! sender strips the final `00 00 ff ff` and the receiver puts it back. With
//! context takeover the LZ77 window carries over between messages; with
//! `*_no_context_takeover` that side resets after each message.
#![cfg_attr(not(feature = "deflate"), allow(dead_code, unused_imports))]

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::config::DeflateConfig;
use super::event::{Extension, Role};

/// The extension token.
pub const NAME: &str = "permessage-deflate";

/// The parameters both ends agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub client_no_context_takeover: bool,
    /// The server's compressor window (8–15).
    pub server_max_window_bits: u8,
    /// The client's compressor window (8–15).
    pub client_max_window_bits: u8,
}

impl Params {
    /// The response extension a server sends for these parameters.
    fn to_response(self, offered_client_bits: bool, offered_server_bits: bool) -> Extension {
        let mut params = Vec::new();
        if self.server_no_context_takeover {
            params.push(("server_no_context_takeover".to_string(), None));
        }
        if self.client_no_context_takeover {
            params.push(("client_no_context_takeover".to_string(), None));
        }
        if offered_server_bits {
            params.push((
                "server_max_window_bits".to_string(),
                Some(self.server_max_window_bits.to_string()),
            ));
        }
        if offered_client_bits && self.client_max_window_bits < 15 {
            params.push((
                "client_max_window_bits".to_string(),
                Some(self.client_max_window_bits.to_string()),
            ));
        }
        Extension {
            name: NAME.to_string(),
            params,
        }
    }
}

/// Reads a window-bits value: digits only, 8 to 15.
fn window_bits(v: &str) -> Option<u8> {
    if v.is_empty() || v.len() > 2 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|b| (8..=15).contains(b))
}

/// The parameters of one offer or response, each at most once.
#[derive(Default)]
struct Seen {
    snct: bool,
    cnct: bool,
    smwb: Option<u8>,
    /// `Some(None)`: present without a value.
    cmwb: Option<Option<u8>>,
}

fn read_params(ext: &Extension) -> Option<Seen> {
    let mut s = Seen::default();
    for (k, v) in &ext.params {
        match (k.as_str(), v) {
            ("server_no_context_takeover", None) if !s.snct => s.snct = true,
            ("client_no_context_takeover", None) if !s.cnct => s.cnct = true,
            ("server_max_window_bits", Some(v)) if s.smwb.is_none() => {
                s.smwb = Some(window_bits(v)?)
            }
            ("client_max_window_bits", None) if s.cmwb.is_none() => s.cmwb = Some(None),
            ("client_max_window_bits", Some(v)) if s.cmwb.is_none() => {
                s.cmwb = Some(Some(window_bits(v)?))
            }
            _ => return None,
        }
    }
    Some(s)
}

fn clamp_bits(b: u8) -> u8 {
    b.clamp(9, 15)
}

/// The client's offer header value for its configuration.
pub fn client_offer(cfg: &DeflateConfig) -> String {
    let mut s = String::from(NAME);
    if cfg.server_no_context_takeover {
        s.push_str("; server_no_context_takeover");
    }
    if cfg.client_no_context_takeover {
        s.push_str("; client_no_context_takeover");
    }
    let smwb = clamp_bits(cfg.server_max_window_bits);
    if smwb < 15 {
        s.push_str("; server_max_window_bits=");
        s.push_str(&smwb.to_string());
    }
    s.push_str("; client_max_window_bits");
    let cmwb = clamp_bits(cfg.client_max_window_bits);
    if cmwb < 15 {
        s.push('=');
        s.push_str(&cmwb.to_string());
    }
    s
}

/// Client side: checks the server's response against what `cfg` offered.
pub fn client_check_response(cfg: &DeflateConfig, ext: &Extension) -> Result<Params, &'static str> {
    let seen = read_params(ext).ok_or("invalid permessage-deflate parameters in response")?;
    if cfg.server_no_context_takeover && !seen.snct {
        return Err("server ignored server_no_context_takeover");
    }
    let offered_smwb = clamp_bits(cfg.server_max_window_bits);
    let smwb = match seen.smwb {
        Some(b) if offered_smwb < 15 && b > offered_smwb => {
            return Err("server_max_window_bits larger than offered");
        }
        Some(b) => b,
        None if offered_smwb < 15 => return Err("server ignored server_max_window_bits"),
        None => 15,
    };
    let cmwb = match seen.cmwb {
        Some(None) => return Err("client_max_window_bits without a value in response"),
        Some(Some(b)) => b,
        None => 15,
    };
    Ok(Params {
        server_no_context_takeover: seen.snct,
        client_no_context_takeover: seen.cnct || cfg.client_no_context_takeover,
        server_max_window_bits: smwb,
        client_max_window_bits: cmwb.min(clamp_bits(cfg.client_max_window_bits)),
    })
}

/// Server side: picks the first acceptable offer and builds the response.
/// Offers with unknown, repeated or invalid parameters are declined.
pub fn server_select(cfg: &DeflateConfig, offers: &[Extension]) -> Option<(Params, Extension)> {
    for offer in offers.iter().filter(|e| e.name.eq_ignore_ascii_case(NAME)) {
        let Some(seen) = read_params(offer) else {
            continue;
        };
        let our_server_bits = clamp_bits(cfg.server_max_window_bits);
        let server_bits = match seen.smwb {
            // We cannot compress with an 8-bit window; send uncompressed then.
            Some(b) => b.min(our_server_bits),
            None => our_server_bits,
        };
        let client_bits = match seen.cmwb {
            Some(Some(b)) => b.min(clamp_bits(cfg.client_max_window_bits)),
            Some(None) => clamp_bits(cfg.client_max_window_bits),
            None => 15,
        };
        let params = Params {
            server_no_context_takeover: seen.snct || cfg.server_no_context_takeover,
            client_no_context_takeover: seen.cnct || cfg.client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        };
        let response = params.to_response(seen.cmwb.is_some(), seen.smwb.is_some());
        return Some((params, response));
    }
    None
}

/// Why inflating a message failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// The message would pass the size limit.
    TooBig,
    /// The data is not a valid DEFLATE stream.
    Corrupt,
}

/// The compressor and decompressor of one connection.
#[cfg(feature = "deflate")]
pub struct Codec {
    /// `None` when the agreed window is 8 bits (zlib cannot produce it): we
    /// then send every message uncompressed, which is always allowed.
    compress: Option<flate2::Compress>,
    decompress: flate2::Decompress,
    reset_compress: bool,
    reset_decompress: bool,
    threshold: usize,
    scratch: Vec<u8>,
}

#[cfg(feature = "deflate")]
impl Codec {
    /// The codec for `role` under the agreed `params`.
    pub fn new(role: Role, cfg: &DeflateConfig, params: Params) -> Codec {
        let (tx_bits, tx_reset, rx_reset) = match role {
            Role::Server => (
                params.server_max_window_bits,
                params.server_no_context_takeover,
                params.client_no_context_takeover,
            ),
            Role::Client => (
                params.client_max_window_bits,
                params.client_no_context_takeover,
                params.server_no_context_takeover,
            ),
        };
        let compress = (tx_bits >= 9).then(|| {
            flate2::Compress::new_with_window_bits(
                flate2::Compression::new(cfg.level.min(9)),
                false,
                tx_bits.clamp(9, 15),
            )
        });
        Codec {
            compress,
            // A 15-bit window inflates anything a smaller window produced.
            decompress: flate2::Decompress::new_with_window_bits(false, 15),
            reset_compress: tx_reset,
            reset_decompress: rx_reset,
            threshold: cfg.threshold,
            scratch: Vec::new(),
        }
    }

    /// Whether a message of `len` bytes should be compressed.
    pub fn wants(&self, len: usize) -> bool {
        self.compress.is_some() && len >= self.threshold
    }

    /// Compresses one fragment of a message into an internal buffer and
    /// returns it; `fin` ends the message. Returns `None` only if zlib reports
    /// an internal error.
    pub fn compress(&mut self, mut data: &[u8], fin: bool) -> Option<&[u8]> {
        let c = self.compress.as_mut()?;
        self.scratch.clear();
        loop {
            self.scratch.reserve(data.len() / 2 + 64);
            let before = c.total_in();
            c.compress_vec(data, &mut self.scratch, flate2::FlushCompress::Sync)
                .ok()?;
            let used = usize::try_from(c.total_in() - before).unwrap_or(data.len());
            data = data.get(used..).unwrap_or(&[]);
            if data.is_empty() && self.scratch.len() < self.scratch.capacity() {
                break;
            }
        }
        if fin {
            if self.scratch.ends_with(&[0, 0, 0xff, 0xff]) {
                self.scratch.truncate(self.scratch.len() - 4);
            } else if self.scratch.is_empty() {
                // Nothing new since the last sync flush (an empty message, or
                // an empty last fragment): zlib writes nothing at all. The
                // receiver will append 00 00 ff ff, so send the header byte of
                // an empty stored block to complete it (RFC 7692 §7.2.3.6).
                self.scratch.push(0x00);
            }
            if self.reset_compress {
                c.reset();
            }
        }
        Some(&self.scratch)
    }

    /// Inflates `input` (part of a compressed message) onto the end of `out`,
    /// producing at most `room` bytes.
    pub fn decompress(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        room: usize,
    ) -> Result<usize, InflateError> {
        let mut produced = 0usize;
        loop {
            let chunk = (room - produced).saturating_add(1).min(64 << 10);
            let start = out.len();
            out.resize(start + chunk, 0);
            let (in0, out0) = (self.decompress.total_in(), self.decompress.total_out());
            let res =
                self.decompress
                    .decompress(input, &mut out[start..], flate2::FlushDecompress::None);
            let used = usize::try_from(self.decompress.total_in() - in0).unwrap_or(usize::MAX);
            let made = usize::try_from(self.decompress.total_out() - out0).unwrap_or(usize::MAX);
            out.truncate(start + made.min(chunk));
            input = input.get(used..).ok_or(InflateError::Corrupt)?;
            produced += made;
            if produced > room {
                return Err(InflateError::TooBig);
            }
            match res {
                Err(_) => return Err(InflateError::Corrupt),
                Ok(flate2::Status::StreamEnd) => {
                    // A block with BFINAL set ends the stream; anything after
                    // it starts a new one.
                    self.decompress.reset(false);
                    if input.is_empty() {
                        break;
                    }
                    continue;
                }
                Ok(_) => {}
            }
            if made < chunk && input.is_empty() {
                break;
            }
            if used == 0 && made == 0 {
                // No progress with input left: the stream is broken.
                return Err(InflateError::Corrupt);
            }
        }
        Ok(produced)
    }

    /// Ends a received message: feeds the stripped sync-flush tail.
    pub fn finish_message(
        &mut self,
        out: &mut Vec<u8>,
        room: usize,
    ) -> Result<usize, InflateError> {
        let n = self.decompress(&[0, 0, 0xff, 0xff], out, room)?;
        if self.reset_decompress {
            self.decompress.reset(false);
        }
        Ok(n)
    }
}

/// Stand-in when the `deflate` feature is off: never constructed.
#[cfg(not(feature = "deflate"))]
pub enum Codec {}

#[cfg(not(feature = "deflate"))]
impl Codec {
    pub fn wants(&self, _len: usize) -> bool {
        match *self {}
    }
    pub fn compress(&mut self, _data: &[u8], _fin: bool) -> Option<&[u8]> {
        match *self {}
    }
    pub fn decompress(
        &mut self,
        _i: &[u8],
        _o: &mut Vec<u8>,
        _r: usize,
    ) -> Result<usize, InflateError> {
        match *self {}
    }
    pub fn finish_message(&mut self, _o: &mut Vec<u8>, _r: usize) -> Result<usize, InflateError> {
        match *self {}
    }
}

#[cfg(all(test, feature = "deflate"))]
mod tests {
    use super::*;
    use crate::ws::handshake::parse_extensions;
    use alloc::vec;

    /// Context takeover both ways, 15-bit windows.
    const DEFAULT_PARAMS: Params = Params {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
    };

    fn ext(s: &str) -> Extension {
        parse_extensions(s.as_bytes()).unwrap().remove(0)
    }

    #[test]
    fn rfc7692_hello_examples() {
        // §7.2.3.1: "Hello" compressed is f2 48 cd c9 c9 07 00.
        let cfg = DeflateConfig::default();
        let p = DEFAULT_PARAMS;
        let mut rx = Codec::new(Role::Server, &cfg, p);
        let mut out = Vec::new();
        rx.decompress(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 100)
            .unwrap();
        rx.finish_message(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
        // §7.2.3.2: the second "Hello" with context takeover is f2 00 11 00 00.
        out.clear();
        rx.decompress(&[0xf2, 0x00, 0x11, 0x00, 0x00], &mut out, 100)
            .unwrap();
        rx.finish_message(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
        // §7.2.3.3: a stored (uncompressed) block.
        let mut rx2 = Codec::new(Role::Server, &cfg, p);
        out.clear();
        rx2.decompress(
            &[
                0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ],
            &mut out,
            100,
        )
        .unwrap();
        rx2.finish_message(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
        // §7.2.3.5: two blocks, the second with BFINAL set.
        let mut rx3 = Codec::new(Role::Server, &cfg, p);
        out.clear();
        rx3.decompress(
            &[
                0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
            ],
            &mut out,
            100,
        )
        .unwrap();
        rx3.finish_message(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn our_compressor_matches_rfc_first_message() {
        let cfg = DeflateConfig::default();
        let p = DEFAULT_PARAMS;
        let mut tx = Codec::new(Role::Client, &cfg, p);
        let first = tx.compress(b"Hello", true).unwrap().to_vec();
        assert_eq!(first, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        let second = tx.compress(b"Hello", true).unwrap().to_vec();
        assert_eq!(second, [0xf2, 0x00, 0x11, 0x00, 0x00]);
    }

    #[test]
    fn round_trip_with_every_window_and_takeover() {
        let data: Vec<u8> = (0..20_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 97) as u8)
            .collect();
        for bits in 9..=15u8 {
            for nct in [false, true] {
                let cfg = DeflateConfig::default();
                let p = Params {
                    server_no_context_takeover: nct,
                    client_no_context_takeover: nct,
                    server_max_window_bits: bits,
                    client_max_window_bits: bits,
                };
                let mut tx = Codec::new(Role::Client, &cfg, p);
                let mut rx = Codec::new(Role::Server, &cfg, p);
                for _ in 0..3 {
                    let z = tx.compress(&data, true).unwrap().to_vec();
                    let mut out = Vec::new();
                    rx.decompress(&z, &mut out, data.len()).unwrap();
                    rx.finish_message(&mut out, data.len()).unwrap();
                    assert_eq!(out, data, "bits {bits} nct {nct}");
                }
            }
        }
    }

    #[test]
    fn empty_messages_after_a_flush_stay_decodable() {
        let cfg = DeflateConfig::default();
        let p = DEFAULT_PARAMS;
        let mut tx = Codec::new(Role::Server, &cfg, p);
        let mut rx = Codec::new(Role::Client, &cfg, p);
        for msg in [&b""[..], b"", b"abc", b"", b"", b"incompressible?\x8f\x01"] {
            let z = tx.compress(msg, true).unwrap().to_vec();
            assert!(!z.is_empty());
            let mut out = Vec::new();
            rx.decompress(&z, &mut out, 1000).unwrap();
            rx.finish_message(&mut out, 1000).unwrap();
            assert_eq!(out, msg);
        }
        // An empty last fragment after a non-empty one.
        let a = tx.compress(b"part", false).unwrap().to_vec();
        let b = tx.compress(b"", true).unwrap().to_vec();
        let mut out = Vec::new();
        rx.decompress(&a, &mut out, 1000).unwrap();
        rx.decompress(&b, &mut out, 1000).unwrap();
        rx.finish_message(&mut out, 1000).unwrap();
        assert_eq!(out, b"part");
    }

    #[test]
    fn inflate_is_bounded() {
        let cfg = DeflateConfig::default();
        let p = DEFAULT_PARAMS;
        let mut tx = Codec::new(Role::Client, &cfg, p);
        let bomb = tx.compress(&vec![0u8; 10 << 20], true).unwrap().to_vec();
        assert!(bomb.len() < 20_000);
        let mut rx = Codec::new(Role::Server, &cfg, p);
        let mut out = Vec::new();
        assert_eq!(
            rx.decompress(&bomb, &mut out, 1 << 20),
            Err(InflateError::TooBig)
        );
        assert!(out.len() <= (1 << 20) + 1);
        let mut rx = Codec::new(Role::Server, &cfg, p);
        assert_eq!(
            rx.decompress(&[0xff, 0xff, 0xff, 0xff], &mut Vec::new(), 100),
            Err(InflateError::Corrupt)
        );
    }

    #[test]
    fn server_negotiation() {
        let cfg = DeflateConfig::default();
        let (p, r) =
            server_select(&cfg, &[ext("permessage-deflate; client_max_window_bits")]).unwrap();
        assert_eq!(
            (p.server_max_window_bits, p.client_max_window_bits),
            (15, 15)
        );
        assert_eq!(r.params, []);
        // Requested server window and no context takeover are honoured.
        let (p, r) = server_select(
            &cfg,
            &[ext(
                "permessage-deflate; server_max_window_bits=10; server_no_context_takeover",
            )],
        )
        .unwrap();
        assert_eq!(p.server_max_window_bits, 10);
        assert!(p.server_no_context_takeover);
        assert_eq!(
            crate::ws::handshake::format_extension(&r),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"
        );
        // Invalid offers are skipped in favour of later valid ones.
        let (p, _) = server_select(
            &cfg,
            &[
                ext("permessage-deflate; server_max_window_bits=16"),
                ext("permessage-deflate; foo"),
                ext("permessage-deflate; client_max_window_bits=9"),
            ],
        )
        .unwrap();
        assert_eq!(p.client_max_window_bits, 9);
        assert!(
            server_select(&cfg, &[ext("permessage-deflate; server_max_window_bits")]).is_none()
        );
        assert!(server_select(&cfg, &[ext("x-webkit-deflate-frame")]).is_none());
        assert!(
            server_select(
                &cfg,
                &[ext(
                    "permessage-deflate; server_no_context_takeover; server_no_context_takeover"
                )]
            )
            .is_none()
        );
        // The server's own limits apply even when the client asked for none.
        let small = DeflateConfig {
            client_max_window_bits: 10,
            client_no_context_takeover: true,
            ..DeflateConfig::default()
        };
        let (p, r) =
            server_select(&small, &[ext("permessage-deflate; client_max_window_bits")]).unwrap();
        assert_eq!(p.client_max_window_bits, 10);
        assert!(p.client_no_context_takeover);
        assert_eq!(
            crate::ws::handshake::format_extension(&r),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits=10"
        );
    }

    #[test]
    fn client_checks_response() {
        let cfg = DeflateConfig {
            server_max_window_bits: 12,
            ..DeflateConfig::default()
        };
        assert_eq!(
            client_offer(&cfg),
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits"
        );
        assert!(
            client_check_response(&cfg, &ext("permessage-deflate; server_max_window_bits=12"))
                .is_ok()
        );
        assert!(
            client_check_response(&cfg, &ext("permessage-deflate; server_max_window_bits=13"))
                .is_err()
        );
        assert!(client_check_response(&cfg, &ext("permessage-deflate")).is_err());
        assert!(
            client_check_response(
                &cfg,
                &ext("permessage-deflate; server_max_window_bits=9; x=1")
            )
            .is_err()
        );
        let p = client_check_response(
            &cfg,
            &ext("permessage-deflate; server_max_window_bits=9; client_max_window_bits=8"),
        )
        .unwrap();
        assert_eq!(p.client_max_window_bits, 8);
        // An 8-bit client window: we must not compress at all.
        let codec = Codec::new(Role::Client, &cfg, p);
        assert!(!codec.wants(100));
    }
}
