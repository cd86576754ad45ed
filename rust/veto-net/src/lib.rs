//! Veto's network: the signed policy feed and the compliance report queue.
