//! `veto`: the administrator's tool.

fn main() {}
