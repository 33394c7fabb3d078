//! The C ABI of wirestate. See `include/wirestate.h` and `docs/c-api.md`.
