//! Tests of the endpoint functions: transmit buffer sizing, poisoning after a panic.
use super::*;
use crate::tcp::config::{wirestate_tcp_config_free, wirestate_tcp_config_new};
use core::ptr;

#[test]
fn transmit_buffer_holds_a_full_segment() {
    let mut c = wirestate_core::tcp::Config::default();
    assert_eq!(transmit_buffer_size(&c), 1540);
    c.mss = Some(9000);
    assert_eq!(transmit_buffer_size(&c), 9100);
    c.mss = Some(u16::MAX);
    assert_eq!(transmit_buffer_size(&c), WIRESTATE_TCP_MAX_TRANSMIT_BUFFER);
    c.mss = None;
    c.mtu = 65_535;
    assert!(transmit_buffer_size(&c) <= WIRESTATE_TCP_MAX_TRANSMIT_BUFFER);
}

#[test]
fn a_panic_inside_a_call_poisons_the_endpoint() {
    let mut cfg = ptr::null_mut();
    assert_eq!(wirestate_tcp_config_new(&mut cfg), wirestate_result::Ok);
    let mut ep = ptr::null_mut();
    assert_eq!(
        wirestate_tcp_endpoint_new_os_seeded(cfg, &mut ep),
        wirestate_result::Ok
    );
    wirestate_tcp_config_free(cfg);
    assert_eq!(with_wrapper(ep, |_| Ok(())), wirestate_result::Ok);
    assert_eq!(
        with_wrapper(ep, |_| Err(wirestate_result::UnknownConnection)),
        wirestate_result::UnknownConnection
    );
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = with_wrapper(ep, |_| panic!("boom"));
    std::panic::set_hook(prev);
    assert_eq!(r, wirestate_result::Panic);
    assert_eq!(with_wrapper(ep, |_| Ok(())), wirestate_result::Panic);
    let mut n = 7usize;
    assert_eq!(
        wirestate_tcp_endpoint_connection_count(ep, &mut n),
        wirestate_result::Panic
    );
    wirestate_tcp_endpoint_free(ep);
}

#[test]
fn a_poisoned_endpoint_refuses_calls_but_frees() {
    let mut cfg = ptr::null_mut();
    assert_eq!(wirestate_tcp_config_new(&mut cfg), wirestate_result::Ok);
    let mut ep = ptr::null_mut();
    assert_eq!(
        wirestate_tcp_endpoint_new_os_seeded(cfg, &mut ep),
        wirestate_result::Ok
    );
    wirestate_tcp_config_free(cfg);
    // What a panic inside a call leaves behind.
    // SAFETY: `ep` is live and used by nothing else here.
    unsafe { (*ep).poisoned = true };
    let mut n = 7usize;
    assert_eq!(
        wirestate_tcp_endpoint_connection_count(ep, &mut n),
        wirestate_result::Panic
    );
    assert_eq!(
        wirestate_tcp_endpoint_handle_timeout(ep, 0),
        wirestate_result::Panic
    );
    assert_eq!(n, 7);
    wirestate_tcp_endpoint_free(ep);
}
