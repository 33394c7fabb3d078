//! `docs/tcp-states.md` is generated from the transition table in the core
//! and must match it.

use wirestate::tcp::connection::state::{State, TRANSITIONS, state_diagram_markdown};

#[test]
fn state_diagram_is_fresh() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/tcp-states.md");
    let want = state_diagram_markdown();
    if std::env::var_os("WIRESTATE_UPDATE_DOCS").is_some() {
        std::fs::write(path, &want).expect("write docs/tcp-states.md");
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/tcp-states.md is stale: rerun with WIRESTATE_UPDATE_DOCS=1"
    );
}

#[test]
fn the_table_names_every_state_and_no_pair_twice() {
    let all = State::ALL;
    for s in all {
        assert!(
            TRANSITIONS.iter().any(|&(f, t, _)| f == s || t == s),
            "{s} missing"
        );
    }
    for (i, &(f, t, _)) in TRANSITIONS.iter().enumerate() {
        assert!(f != t, "{f} to itself");
        assert!(
            !TRANSITIONS[i + 1..]
                .iter()
                .any(|&(f2, t2, _)| (f2, t2) == (f, t)),
            "{f} -> {t} twice"
        );
    }
}
