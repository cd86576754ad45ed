//! The dashboard's words in English and Dutch. One table: a key, then each language.

/// A dashboard language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English (the default).
    En,
    /// Dutch.
    Nl,
}

impl Lang {
    /// `en` or `nl`; anything else is None.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "nl" => Some(Lang::Nl),
            _ => None,
        }
    }

    /// The code (`en`, `nl`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    /// From an `Accept-Language` header: Dutch if it comes before English.
    pub fn from_accept(header: &str) -> Lang {
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("nl") {
                return Lang::Nl;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }
}

/// (key, English, Dutch).
const WORDS: &[(&str, &str, &str)] = &[
    ("title", "Veto fleet compliance", "Veto naleving van de vloot"),
    ("overview", "Overview", "Overzicht"),
    ("devices", "Devices", "Apparaten"),
    ("census", "App census", "App-inventaris"),
    ("compliant", "Compliant", "Voldoet"),
    ("non_compliant", "Non-compliant", "Voldoet niet"),
    ("past_deadline", "Past the deadline", "Termijn verstreken"),
    ("stale", "Stale", "Stil"),
    ("all_units", "All units", "Alle eenheden"),
    ("unit", "Unit", "Eenheid"),
    ("per_unit", "Per unit", "Per eenheid"),
    ("barred_apps", "Barred apps", "Verboden apps"),
    ("package", "Package", "Pakket"),
    ("app", "App", "App"),
    ("have_it", "Devices that have it", "Apparaten met de app"),
    ("warned", "Warned", "Gewaarschuwd"),
    ("suspended", "Suspended", "Geblokkeerd"),
    ("hidden", "Hidden", "Verborgen"),
    ("removing", "Removal asked", "Verwijdering gevraagd"),
    ("removed", "Removed", "Verwijderd"),
    ("failed", "Failed", "Mislukt"),
    ("report_only", "Report only", "Alleen gemeld"),
    ("pending", "Pending", "In afwachting"),
    ("burndown", "Burndown: devices with a barred app per day", "Afbouw: apparaten met een verboden app per dag"),
    ("deadline", "Deadline", "Termijn"),
    ("reporting", "Devices reporting", "Apparaten die meldden"),
    ("no_data", "No reports yet.", "Nog geen meldingen."),
    ("stale_devices", "Stale devices (Veto silent or removed)", "Stille apparaten (Veto zwijgt of is verwijderd)"),
    ("all_stale", "All stale devices", "Alle stille apparaten"),
    ("device", "Device", "Apparaat"),
    ("last_seen", "Last report", "Laatste melding"),
    ("evaluated", "Evaluated", "Beoordeeld"),
    ("received", "Received", "Ontvangen"),
    ("findings", "Barred apps", "Verboden apps"),
    ("status", "Status", "Status"),
    ("any", "Any", "Alle"),
    ("filter", "Filter", "Filteren"),
    ("download_csv", "Download CSV", "CSV downloaden"),
    ("previous", "Previous", "Vorige"),
    ("next", "Next", "Volgende"),
    ("of", "of", "van"),
    ("history", "History", "Geschiedenis"),
    ("report", "Report", "Melding"),
    ("policy", "Policy", "Beleid"),
    ("current", "current", "huidig"),
    ("yes", "yes", "ja"),
    ("no", "no", "nee"),
    ("state", "State", "Toestand"),
    ("first_seen", "First seen", "Eerst gezien"),
    ("installers", "Installers", "Installatiebronnen"),
    ("signers", "Signer digests", "Ondertekenaars"),
    ("catalog", "Catalog entry", "Catalogus"),
    ("policy_rule", "Policy rule", "Beleidsregel"),
    ("census_note", "Apps in the work profiles of devices whose administrators enabled report_inventory.", "Apps in de werkprofielen van apparaten waarvoor de beheerder report_inventory heeft aangezet."),
    ("login", "Sign in", "Inloggen"),
    ("login_note", "Sign in with a viewer or admin token.", "Log in met een viewer- of admin-token."),
    ("token", "Token", "Token"),
    ("logout", "Sign out", "Uitloggen"),
    ("login_failed", "Unknown or revoked token.", "Onbekend of ingetrokken token."),
    ("login_ingest", "Ingest tokens are for devices and cannot sign in.", "Ingest-tokens zijn voor apparaten en kunnen niet inloggen."),
    ("login_csrf", "The form expired; please try again.", "Het formulier is verlopen; probeer het opnieuw."),
    ("not_found", "Not found.", "Niet gevonden."),
    ("fresh", "Reporting", "Meldt"),
    ("label", "Label", "Naam"),
    ("times_utc", "All times are UTC.", "Alle tijden in UTC."),
];

/// The word for `key` in `lang` (the key itself if it is missing, which a test forbids).
pub fn t(lang: Lang, key: &str) -> &'static str {
    for (k, en, nl) in WORDS {
        if *k == key {
            return match lang {
                Lang::En => en,
                Lang::Nl => nl,
            };
        }
    }
    "?"
}

/// Every key (for tests).
pub fn keys() -> impl Iterator<Item = &'static str> {
    WORDS.iter().map(|(k, _, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_exists_in_both_languages_once() {
        let mut seen = std::collections::HashSet::new();
        for (k, en, nl) in WORDS {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!en.is_empty() && !nl.is_empty(), "{k}");
        }
        assert_eq!(t(Lang::Nl, "compliant"), "Voldoet");
        assert_eq!(t(Lang::En, "nonexistent"), "?");
    }

    #[test]
    fn accept_language_picks_the_first_known() {
        assert_eq!(Lang::from_accept("nl-NL,nl;q=0.9,en;q=0.8"), Lang::Nl);
        assert_eq!(Lang::from_accept("en-GB,nl;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept("fr"), Lang::En);
    }
}
