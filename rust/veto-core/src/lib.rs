//! Veto's core: decides what happens to every app in the work profile.
//!
//! Pure logic: it is handed an inventory, a policy, the state, the device's capabilities and
//! the time, and returns a [`Plan`]. It never touches Android, files or the network.
