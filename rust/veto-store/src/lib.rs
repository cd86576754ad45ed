//! Veto's files: atomic writes, the state file, quarantine of corrupt files.
