//! Whole messages built from the core's streaming chunks, straight into the
//! Python object that will hold them.
//!
//! The binding always runs the core in streaming mode. When the application
//! did not ask for chunks, the pieces of a message are put together here. A
//! large binary message whose length the frame header announced gets a
//! `bytes` object of that length as soon as its header is read (the core
//! stops there, see `Connection::receive_data_into_until`), and the core
//! unmasks its whole payload straight into it: each byte is written once.
//! Anything else is gathered and converted when it ends.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use wirestate::ws::MessageKind;

use crate::ws_events::{BinaryMessage, TextMessage};

/// Announced binary messages at least this long are assembled in place;
/// shorter ones are gathered and copied once, which costs the same.
pub(crate) const IN_PLACE_AT: u64 = 64 << 10;

/// A message being put together.
pub(crate) enum Assembly {
    /// A binary message of announced length: its `bytes` object, not yet
    /// seen by Python code, and how many of its bytes are written.
    InPlace {
        obj: Py<PyBytes>,
        len: usize,
        filled: usize,
        /// Allocated from the header, before the message's first chunk
        /// event: that event continues it instead of starting a new one.
        prepared: bool,
    },
    /// Anything else: gathered here and converted when it ends.
    Gather { kind: MessageKind, data: Vec<u8> },
}

/// A `bytes` object of `len` bytes whose contents are not yet written.
fn unfilled_bytes(py: Python<'_>, len: usize) -> PyResult<Py<PyBytes>> {
    let size = ffi::Py_ssize_t::try_from(len)
        .map_err(|_| pyo3::exceptions::PyMemoryError::new_err("message too large"))?;
    // SAFETY: a NULL source asks CPython for an object with room for `size`
    // bytes; the result is a new reference (or NULL with an exception set,
    // which `from_owned_ptr_or_err` turns into the error).
    let obj = unsafe {
        Bound::from_owned_ptr_or_err(py, ffi::PyBytes_FromStringAndSize(std::ptr::null(), size))?
    };
    Ok(obj.cast_into::<PyBytes>()?.unbind())
}

/// Writes `data` at `at` into `obj`, which has `len` bytes.
fn write_into(py: Python<'_>, obj: &Py<PyBytes>, len: usize, at: usize, data: &[u8]) {
    assert!(at <= len && data.len() <= len - at, "write past the end");
    // SAFETY: `obj` is a `bytes` object of `len` bytes that no Python code
    // has seen yet (it lives only in this connection's assembly slot), so
    // writing its contents before handing it out is the documented way of
    // filling one; the range was checked above, and the source is a
    // separate Rust buffer, so the two cannot overlap.
    unsafe {
        let base = ffi::PyBytes_AsString(obj.bind(py).as_ptr()).cast::<u8>();
        std::ptr::copy_nonoverlapping(data.as_ptr(), base.add(at), data.len());
    }
}

/// The unwritten part of `obj` (`len` bytes, the first `filled` written), for
/// the core to write into.
pub(crate) fn unfilled_tail<'a>(
    py: Python<'_>,
    obj: &'a mut Py<PyBytes>,
    len: usize,
    filled: usize,
) -> &'a mut [std::mem::MaybeUninit<u8>] {
    assert!(filled <= len, "filled past the end");
    // SAFETY: `obj` is a `bytes` object of `len` bytes that no Python code
    // has seen yet (it lives only in this connection's assembly slot, and the
    // connection is borrowed mutably for as long as the slice lives); the
    // slice covers its bytes from `filled` to the end, as `MaybeUninit` since
    // they may not be written yet.
    unsafe {
        let base = ffi::PyBytes_AsString(obj.bind(py).as_ptr()).cast::<std::mem::MaybeUninit<u8>>();
        std::slice::from_raw_parts_mut(base.add(filled), len - filled)
    }
}

/// The unmasking routine for payloads written straight into `bytes` objects:
/// 32 bytes at a time with AVX2 where the CPU has it (chosen at run time,
/// which the core cannot do without `unsafe`), else the core's own.
pub(crate) fn unmask_routine() -> Option<wirestate::ws::UnmaskFn> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            return Some(unmask_avx2_checked);
        }
    }
    None
}

#[cfg(target_arch = "x86_64")]
fn unmask_avx2_checked(
    dst: &mut [std::mem::MaybeUninit<u8>],
    src: &[u8],
    key: [u8; 4],
    offset: usize,
) {
    // SAFETY: installed only after `is_x86_feature_detected!("avx2")`.
    unsafe { unmask_avx2(dst, src, key, offset) }
}

/// Writes `src` XOR the key (rotated to `offset`) into `dst`.
///
/// The destination is written in whole, aligned 64-byte lines (two 32-byte
/// stores each): stores that straddle cache lines (a `bytes` object's
/// contents start 32 bytes into a 16-byte aligned block) cost a second line
/// access each, which kept this below `memcpy` speed on warm data. The
/// partial lines at either end are covered by one unaligned 64-byte block
/// each, overlapping the aligned part (rewriting a byte with the same value),
/// instead of a byte-at-a-time loop: a read from the transport rarely starts
/// or ends on a line boundary, so every call has both. Loads stay unaligned.
///
/// # Safety
///
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn unmask_avx2(
    dst: &mut [std::mem::MaybeUninit<u8>],
    src: &[u8],
    key: [u8; 4],
    offset: usize,
) {
    use std::arch::x86_64::{
        __m256i, _mm256_loadu_si256, _mm256_set1_epi32, _mm256_store_si256, _mm256_storeu_si256,
        _mm256_xor_si256,
    };
    let n = dst.len().min(src.len());
    // The key in every 32-bit lane, for a block starting `at` bytes in.
    let lanes = |at: usize| {
        let mut k = key;
        k.rotate_left((offset + at) % 4);
        _mm256_set1_epi32(i32::from_le_bytes(k))
    };
    // Where the first whole line starts (`usize::MAX` were the offset
    // unknown, which sends everything to the byte loop below).
    let head = dst.as_ptr().align_offset(64);
    if n < 64 || head >= 64 {
        for (i, (d, s)) in dst[..n].iter_mut().zip(src).enumerate() {
            *d = std::mem::MaybeUninit::new(s ^ key[(offset + i) % 4]);
        }
        return;
    }
    // One unaligned 64-byte block from `at` (`at + 64 <= n`).
    let block = |dst: &mut [std::mem::MaybeUninit<u8>], at: usize| {
        let k = lanes(at);
        // SAFETY: `at + 64 <= n` keeps both 64-byte accesses inside the
        // slices; every access is unaligned.
        unsafe {
            let a = _mm256_loadu_si256(src.as_ptr().add(at).cast::<__m256i>());
            let b = _mm256_loadu_si256(src.as_ptr().add(at + 32).cast::<__m256i>());
            let out = dst.as_mut_ptr().add(at).cast::<__m256i>();
            _mm256_storeu_si256(out, _mm256_xor_si256(a, k));
            _mm256_storeu_si256(out.add(1), _mm256_xor_si256(b, k));
        }
    };
    if head > 0 {
        // Bytes 0..head, and some of the first whole line again.
        block(dst, 0);
    }
    // Each step is a multiple of 4 bytes, so the same lanes apply all along.
    let k = lanes(head);
    let mut i = head;
    while i + 64 <= n {
        // SAFETY: `i + 64 <= n` keeps both 64-byte accesses inside the
        // slices; `dst + i` is 64-byte aligned, as the aligned stores need:
        // `head` made it so and each step adds 64; the loads are unaligned.
        unsafe {
            let a = _mm256_loadu_si256(src.as_ptr().add(i).cast::<__m256i>());
            let b = _mm256_loadu_si256(src.as_ptr().add(i + 32).cast::<__m256i>());
            let out = dst.as_mut_ptr().add(i).cast::<__m256i>();
            _mm256_store_si256(out, _mm256_xor_si256(a, k));
            _mm256_store_si256(out.add(1), _mm256_xor_si256(b, k));
        }
        i += 64;
    }
    if i < n {
        // The last partial line, and some of the line before it again.
        block(dst, n - 64);
    }
}

/// The event object for a whole message.
pub(crate) fn message_object(
    py: Python<'_>,
    kind: MessageKind,
    data: &[u8],
) -> PyResult<Py<PyAny>> {
    Ok(match kind {
        MessageKind::Text => {
            let size = ffi::Py_ssize_t::try_from(data.len())
                .map_err(|_| pyo3::exceptions::PyMemoryError::new_err("message too large"))?;
            // SAFETY: `data` is valid for `size` bytes; the core hands out
            // text only after checking it is UTF-8, and CPython decodes it
            // into a new reference (or NULL with an exception set).
            let text = unsafe {
                Bound::from_owned_ptr_or_err(
                    py,
                    ffi::PyUnicode_DecodeUTF8(data.as_ptr().cast(), size, c"strict".as_ptr()),
                )?
            };
            Py::new(
                py,
                TextMessage {
                    data: text.unbind(),
                },
            )?
            .into_any()
        }
        MessageKind::Binary => Py::new(
            py,
            BinaryMessage {
                data: PyBytes::new(py, data).into_any().unbind(),
            },
        )?
        .into_any(),
    })
}

/// Allocates the `bytes` object of the message whose header the core just
/// read (announced at `total` bytes, within `max_message_size`), so that
/// its payload can be written straight into it. Leaves the slot alone when
/// the allocation fails: the message is then assembled from its chunks.
pub(crate) fn prepare(py: Python<'_>, slot: &mut Option<Assembly>, total: u64) {
    let Ok(len) = usize::try_from(total) else {
        return;
    };
    if let Ok(obj) = unfilled_bytes(py, len) {
        *slot = Some(Assembly::InPlace {
            obj,
            len,
            filled: 0,
            prepared: true,
        });
    }
}

/// Adds one chunk of a message; returns the message's event object when
/// this chunk ends it.
pub(crate) fn feed(
    py: Python<'_>,
    slot: &mut Option<Assembly>,
    kind: MessageKind,
    data: &[u8],
    first: bool,
    last: bool,
    total: Option<u64>,
) -> PyResult<Option<Py<PyAny>>> {
    let prepared = match slot.as_mut() {
        Some(Assembly::InPlace { prepared, .. }) if first && kind == MessageKind::Binary => {
            core::mem::replace(prepared, false)
        }
        _ => false,
    };
    if first && last && !prepared {
        *slot = None;
        return message_object(py, kind, data).map(Some);
    }
    if first && !prepared {
        *slot = Some(match (kind, total) {
            (MessageKind::Binary, Some(t)) if t >= IN_PLACE_AT => {
                let len = usize::try_from(t).unwrap_or(usize::MAX);
                Assembly::InPlace {
                    obj: unfilled_bytes(py, len)?,
                    len,
                    filled: 0,
                    prepared: false,
                }
            }
            _ => Assembly::Gather {
                kind,
                data: Vec::with_capacity(total.map_or(0, |t| t.min(16 << 20) as usize)),
            },
        });
    }
    let Some(assembly) = slot.as_mut() else {
        // The core always starts a message with a first chunk.
        return Ok(None);
    };
    match assembly {
        Assembly::InPlace {
            obj, len, filled, ..
        } if data.len() <= *len - *filled => {
            write_into(py, obj, *len, *filled, data);
            *filled += data.len();
        }
        Assembly::InPlace { obj, filled, .. } => {
            // More than announced: cannot happen with the core's accounting,
            // but never write past the object; gather what there is instead.
            // SAFETY: the first `filled` bytes were written above.
            let written = unsafe {
                let base = ffi::PyBytes_AsString(obj.bind(py).as_ptr()).cast::<u8>();
                std::slice::from_raw_parts(base, *filled).to_vec()
            };
            let mut data_all = written;
            data_all.extend_from_slice(data);
            *assembly = Assembly::Gather {
                kind,
                data: data_all,
            };
        }
        Assembly::Gather { data: buf, .. } => buf.extend_from_slice(data),
    }
    if !last {
        return Ok(None);
    }
    match slot.take() {
        Some(Assembly::InPlace {
            obj, len, filled, ..
        }) if filled == len => Ok(Some(
            Py::new(
                py,
                BinaryMessage {
                    data: obj.into_any(),
                },
            )?
            .into_any(),
        )),
        Some(Assembly::InPlace { obj, filled, .. }) => {
            // Shorter than announced (cannot happen): hand out what arrived.
            // SAFETY: the first `filled` bytes were written.
            let written = unsafe {
                let base = ffi::PyBytes_AsString(obj.bind(py).as_ptr()).cast::<u8>();
                std::slice::from_raw_parts(base, filled).to_vec()
            };
            message_object(py, MessageKind::Binary, &written).map(Some)
        }
        Some(Assembly::Gather { kind, data }) => message_object(py, kind, &data).map(Some),
        None => Ok(None),
    }
}
