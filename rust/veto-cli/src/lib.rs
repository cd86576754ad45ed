//! The `veto` command's reusable parts, as a library: the `adb` output parsers, so that the
//! fuzz targets in `fuzz/` can reach them (the binary in `main.rs` uses the same module).

pub mod adb;
