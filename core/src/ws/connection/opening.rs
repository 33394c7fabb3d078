//! Driving the opening handshake: the client's request and its check of the
//! response, the server's parse of the request and its answer.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::Connection;
use crate::ws::close;
use crate::ws::config::{ClientConfig, DeflateConfig};
use crate::ws::deflate;
use crate::ws::error::Error;
use crate::ws::event::{Accepted, Extension, Header, Rejected, State};
use crate::ws::handshake::{self, BadRequest};

/// Where the opening handshake stands.
#[derive(Debug)]
pub(super) enum Opening {
    /// Server: collecting the request head in `buf`.
    AwaitRequest,
    /// Server: the Request event is out; waiting for `accept` or `reject`.
    /// `buf` holds bytes that arrived after the head.
    AwaitDecision {
        key: Vec<u8>,
        subprotocols: Vec<String>,
        extensions: Vec<Extension>,
    },
    /// Client: collecting the response head.
    AwaitResponse {
        expected_accept: String,
        offered_deflate: Option<DeflateConfig>,
    },
    /// Client: the response was not 101; collecting its body.
    AwaitRejectBody {
        status: u16,
        headers: Vec<Header>,
        content_length: Option<usize>,
    },
    /// Open (or finished).
    Done,
}

/// Builds the client's request and moves the connection to AwaitResponse.
pub(super) fn client_start(conn: &mut Connection, cfg: &ClientConfig) -> Result<Vec<u8>, Error> {
    let nonce = conn.rng.next_nonce();
    let key = BASE64.encode(nonce);
    let offered_deflate = if cfg!(feature = "deflate") {
        conn.config.compression.clone()
    } else {
        None
    };
    let offer = offered_deflate.as_ref().map(deflate::client_offer);
    let request = handshake::client_request(cfg, &key, offer.as_deref())?;
    conn.opening = Opening::AwaitResponse {
        expected_accept: handshake::accept_key(key.as_bytes()),
        offered_deflate,
    };
    Ok(request)
}

impl Connection {
    /// Bytes while the handshake is under way. `hbuf` is `self.zbuf`, which is
    /// otherwise unused until the connection opens.
    pub(super) fn receive_opening(&mut self, data: &[u8]) {
        let prev = self.zbuf.len();
        self.zbuf.extend_from_slice(data);
        match &self.opening {
            Opening::AwaitRequest => self.server_read_request(prev),
            Opening::AwaitDecision { .. } => {
                if self.zbuf.len() > self.config.max_handshake_size {
                    self.bad_request(BadRequest {
                        status: 400,
                        reason: "data sent before the handshake completed",
                    });
                }
            }
            Opening::AwaitResponse { .. } => self.client_read_response(prev),
            Opening::AwaitRejectBody { .. } => self.client_read_reject_body(),
            Opening::Done => {}
        }
    }

    fn server_read_request(&mut self, prev: usize) {
        let limit = self.config.max_handshake_size;
        let end = match handshake::find_head_end(&self.zbuf, prev.saturating_sub(3)) {
            Some(end) if end <= limit => end,
            Some(_) => return self.too_large(),
            None if self.zbuf.len() > limit => return self.too_large(),
            None => return,
        };
        match handshake::parse_request(&self.zbuf[..end], self.config.max_headers) {
            Ok(valid) => {
                self.zbuf.drain(..end);
                self.opening = Opening::AwaitDecision {
                    key: valid.key,
                    subprotocols: valid.request.subprotocols.clone(),
                    extensions: valid.request.extensions.clone(),
                };
                self.push_request(valid.request);
            }
            Err(bad) => self.bad_request(bad),
        }
    }

    fn too_large(&mut self) {
        self.bad_request(BadRequest {
            status: 431,
            reason: "request head too large",
        });
    }

    /// Answers a malformed request and ends the connection.
    fn bad_request(&mut self, bad: BadRequest) {
        self.zbuf.clear();
        let extra: &[(&str, &str)] = if bad.status == 426 {
            &[
                ("Sec-WebSocket-Version", "13"),
                ("Content-Type", "text/plain"),
            ]
        } else {
            &[("Content-Type", "text/plain")]
        };
        self.out.extend_from_slice(&handshake::reject_response(
            bad.status,
            extra,
            bad.reason.as_bytes(),
        ));
        self.opening = Opening::Done;
        self.transport_close = true;
        self.enter_closed(close::PROTOCOL_ERROR, bad.reason, false);
    }

    /// Server: accepts the opening request reported by [`Event::Request`].
    ///
    /// `subprotocol` must be one the client offered; `None` picks the first
    /// of the client's offers that is also in [`Config::subprotocols`], if
    /// any. permessage-deflate is negotiated from [`Config::compression`].
    /// `extra_headers` are added to the 101 response.
    ///
    /// [`Event::Request`]: crate::ws::Event::Request
    /// [`Config::subprotocols`]: crate::ws::Config::subprotocols
    /// [`Config::compression`]: crate::ws::Config::compression
    pub fn accept(
        &mut self,
        subprotocol: Option<&str>,
        extra_headers: &[(&str, &str)],
    ) -> Result<(), Error> {
        let Opening::AwaitDecision {
            key,
            subprotocols,
            extensions,
        } = &self.opening
        else {
            return Err(Error::InvalidState);
        };
        if self.state != State::Connecting {
            return Err(Error::InvalidState);
        }
        handshake::check_headers(extra_headers)?;
        let chosen = match subprotocol {
            Some(p) if subprotocols.iter().any(|o| o == p) => Some(p.to_string()),
            Some(_) => return Err(Error::SubprotocolNotOffered),
            None => subprotocols
                .iter()
                .find(|o| self.config.subprotocols.contains(o))
                .cloned(),
        };
        #[cfg(feature = "deflate")]
        let ext_header = match &self.config.compression {
            Some(cfg) => deflate::server_select(cfg, extensions).map(|(params, response)| {
                self.codec = Some(alloc::boxed::Box::new(deflate::Codec::new(
                    self.role, cfg, params,
                )));
                handshake::format_extension(&response)
            }),
            None => None,
        };
        #[cfg(not(feature = "deflate"))]
        let ext_header: Option<String> = {
            let _ = extensions;
            None
        };
        let response = handshake::accept_response(
            key,
            chosen.as_deref(),
            ext_header.as_deref(),
            extra_headers,
        );
        self.out.extend_from_slice(&response);
        self.subprotocol = chosen;
        self.opening = Opening::Done;
        self.opened();
        // Frames the client sent right behind its request.
        let early = core::mem::take(&mut self.zbuf);
        if !early.is_empty() {
            self.receive_frames(&early, &mut super::recv::Direct::none());
        }
        Ok(())
    }

    /// Server: refuses the opening request with an HTTP `status` (200–599,
    /// not 101), extra `headers` and a `body`; the connection then ends.
    pub fn reject(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), Error> {
        if !matches!(self.opening, Opening::AwaitDecision { .. }) || self.state != State::Connecting
        {
            return Err(Error::InvalidState);
        }
        if !(200..=599).contains(&status) {
            return Err(Error::InvalidStatus);
        }
        handshake::check_headers(headers)?;
        self.out
            .extend_from_slice(&handshake::reject_response(status, headers, body));
        self.opening = Opening::Done;
        self.zbuf.clear();
        self.transport_close = true;
        let reason = format!("handshake rejected with status {status}");
        self.enter_closed(close::ABNORMAL, &reason, false);
        Ok(())
    }

    fn client_read_response(&mut self, prev: usize) {
        let limit = self.config.max_handshake_size;
        let end = match handshake::find_head_end(&self.zbuf, prev.saturating_sub(3)) {
            Some(end) if end <= limit => end,
            None if self.zbuf.len() <= limit => return,
            _ => return self.handshake_failed("response head too large"),
        };
        let parsed = match handshake::parse_response(&self.zbuf[..end], self.config.max_headers) {
            Ok(p) => p,
            Err(reason) => return self.handshake_failed(reason),
        };
        self.zbuf.drain(..end);
        if parsed.status != 101 {
            self.opening = Opening::AwaitRejectBody {
                status: parsed.status,
                headers: parsed.headers,
                content_length: parsed.content_length,
            };
            return self.client_read_reject_body();
        }
        let Opening::AwaitResponse {
            expected_accept,
            offered_deflate,
        } = core::mem::replace(&mut self.opening, Opening::Done)
        else {
            return;
        };
        let headers = parsed.headers;
        if !handshake::contains_token(&headers, "Upgrade", "websocket") {
            return self.handshake_failed("response lacks Upgrade: websocket");
        }
        if !handshake::contains_token(&headers, "Connection", "upgrade") {
            return self.handshake_failed("response lacks Connection: upgrade");
        }
        let accept_ok = {
            let mut accepts = handshake::values(&headers, "Sec-WebSocket-Accept");
            matches!(
                (accepts.next(), accepts.next()),
                (Some(v), None) if handshake::tokens(v).next() == Some(expected_accept.as_bytes())
            )
        };
        if !accept_ok {
            return self.handshake_failed("wrong Sec-WebSocket-Accept");
        }
        let subprotocol = {
            let protocols: Vec<&[u8]> = handshake::values(&headers, "Sec-WebSocket-Protocol")
                .flat_map(handshake::tokens)
                .collect();
            match protocols.as_slice() {
                [] => Ok(None),
                [p] => match self.config.subprotocols.iter().find(|o| o.as_bytes() == *p) {
                    Some(o) => Ok(Some(o.clone())),
                    None => Err("server chose a subprotocol not offered"),
                },
                _ => Err("server chose more than one subprotocol"),
            }
        };
        let subprotocol = match subprotocol {
            Ok(p) => p,
            Err(reason) => return self.handshake_failed(reason),
        };
        let mut extensions = Vec::new();
        for v in handshake::values(&headers, "Sec-WebSocket-Extensions") {
            match handshake::parse_extensions(v) {
                Some(mut e) => extensions.append(&mut e),
                None => return self.handshake_failed("invalid Sec-WebSocket-Extensions"),
            }
        }
        match (extensions.as_slice(), offered_deflate) {
            ([], _) => {}
            ([ext], Some(cfg)) if ext.name.eq_ignore_ascii_case(deflate::NAME) => {
                match deflate::client_check_response(&cfg, ext) {
                    #[cfg(feature = "deflate")]
                    Ok(params) => {
                        self.codec = Some(alloc::boxed::Box::new(deflate::Codec::new(
                            self.role, &cfg, params,
                        )));
                    }
                    #[cfg(not(feature = "deflate"))]
                    Ok(_) => return self.handshake_failed("extension not offered"),
                    Err(reason) => return self.handshake_failed(reason),
                }
            }
            _ => return self.handshake_failed("server accepted an extension that was not offered"),
        }
        self.subprotocol = subprotocol.clone();
        self.opened();
        self.push_accepted(Accepted {
            subprotocol,
            extensions,
            headers,
        });
        let early = core::mem::take(&mut self.zbuf);
        if !early.is_empty() {
            self.receive_frames(&early, &mut super::recv::Direct::none());
        }
    }

    fn client_read_reject_body(&mut self) {
        let Opening::AwaitRejectBody { content_length, .. } = &self.opening else {
            return;
        };
        let limit = self.config.max_handshake_size;
        let want = content_length.unwrap_or(usize::MAX).min(limit);
        if self.zbuf.len() >= want {
            self.zbuf.truncate(want);
            self.finish_rejected();
        }
    }

    fn finish_rejected(&mut self) {
        let Opening::AwaitRejectBody {
            status, headers, ..
        } = core::mem::replace(&mut self.opening, Opening::Done)
        else {
            return;
        };
        let body = core::mem::take(&mut self.zbuf);
        self.push_rejected(Rejected {
            status,
            headers,
            body,
        });
        self.transport_close = true;
        let reason = format!("handshake rejected with status {status}");
        self.enter_closed(close::ABNORMAL, &reason, false);
    }

    fn handshake_failed(&mut self, reason: &str) {
        self.zbuf.clear();
        self.opening = Opening::Done;
        self.transport_close = true;
        self.enter_closed(close::PROTOCOL_ERROR, reason, false);
    }
}

/// The stream ended while connecting. Returns true if that completed
/// something (a rejection body delimited by the end of the stream).
pub(super) fn eof_during_opening(conn: &mut Connection) -> bool {
    if let Opening::AwaitRejectBody { .. } = conn.opening {
        conn.finish_rejected();
        return true;
    }
    false
}
