//! The employee's notice: which actions get one and its text in English, Dutch, French, German and Danish.
package app.veto.act

import java.time.OffsetDateTime
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.time.format.DateTimeParseException
import java.util.Locale

/**
 * A notice for one app; [packageName] identifies it so a later run can replace or withdraw it.
 * [resolved] marks a notice that reports a finished removal: nothing is left for the employee to
 * do, so it stays when the app is gone, while the other notices are withdrawn then.
 */
data class Notice(
    val packageName: String,
    val title: String,
    val body: String,
    val resolved: Boolean = false,
    /** The platform asked the employee to confirm the removal: tapping opens its confirmation. */
    val confirm: Boolean = false,
)

/** The port that shows notices (a notification channel on Android). */
interface Notifier {
    /** False when the employee or the system blocked Veto's notifications. */
    fun canPostNotices(): Boolean

    /** Shows or replaces the notice for [Notice.packageName]. */
    fun post(notice: Notice)

    /** Withdraws the notice for [packageName], if any. */
    fun withdraw(packageName: String)

    /** Withdraws every unresolved notice except those for [keep] (apps that are no longer findings). */
    fun withdrawAllExcept(keep: Set<String>)
}

/** What to do about the notice of one package after a run. */
sealed class NoticeChange {
    data class Post(val notice: Notice) : NoticeChange()
    data class Withdraw(val packageName: String) : NoticeChange()
}

/**
 * The texts of one language. `{app}`, `{reason}` and `{deadline}` are filled in; [datePattern]
 * formats the deadline (java.time pattern, so the month names come from the locale).
 */
data class NoticeLanguage(
    val tag: String,
    val channelName: String,
    val titles: Map<String, String>,
    val bodies: Map<String, String>,
    val deadline: String,
    val defaultReason: String,
    val footer: String,
    val datePattern: String,
)

object NoticeTexts {
    /** Keys of [NoticeLanguage.titles] and [NoticeLanguage.bodies]; `confirm` is a removal waiting for the employee. */
    val KINDS = listOf("warn", "suspend", "hide", "uninstall", "confirm")

    val ENGLISH = NoticeLanguage(
        tag = "en",
        channelName = "Work app compliance",
        titles = mapOf(
            "warn" to "Please remove {app}",
            "suspend" to "{app} has been suspended",
            "hide" to "{app} has been hidden",
            "uninstall" to "{app} has been removed",
            "confirm" to "Please confirm removing {app}",
        ),
        bodies = mapOf(
            "warn" to "{app} is not allowed in your work profile. Reason: {reason}.",
            "suspend" to "{app} can no longer be opened in your work profile. Reason: {reason}.",
            "hide" to "{app} has been hidden in your work profile. Reason: {reason}.",
            "uninstall" to "{app} has been removed from your work profile. Reason: {reason}.",
            "confirm" to "{app} must be removed from your work profile. Reason: {reason}.",
        ),
        deadline = "Deadline: {deadline}.",
        defaultReason = "it is on your organisation's list of barred apps",
        footer = "Veto only checks your work profile.",
        datePattern = "d MMMM yyyy",
    )

    val DUTCH = NoticeLanguage(
        tag = "nl",
        channelName = "Naleving werkapps",
        titles = mapOf(
            "warn" to "Verwijder {app}",
            "suspend" to "{app} is geblokkeerd",
            "hide" to "{app} is verborgen",
            "uninstall" to "{app} is verwijderd",
            "confirm" to "Bevestig het verwijderen van {app}",
        ),
        bodies = mapOf(
            "warn" to "{app} is niet toegestaan in je werkprofiel. Reden: {reason}.",
            "suspend" to "{app} kan niet meer worden geopend in je werkprofiel. Reden: {reason}.",
            "hide" to "{app} is verborgen in je werkprofiel. Reden: {reason}.",
            "uninstall" to "{app} is verwijderd uit je werkprofiel. Reden: {reason}.",
            "confirm" to "{app} moet uit je werkprofiel worden verwijderd. Reden: {reason}.",
        ),
        deadline = "Uiterlijk: {deadline}.",
        defaultReason = "de app staat op de lijst van niet-toegestane apps van je organisatie",
        footer = "Veto controleert alleen je werkprofiel.",
        datePattern = "d MMMM yyyy",
    )

    val FRENCH = NoticeLanguage(
        tag = "fr",
        channelName = "Conformité des applis professionnelles",
        titles = mapOf(
            "warn" to "Veuillez supprimer {app}",
            "suspend" to "{app} a été suspendue",
            "hide" to "{app} a été masquée",
            "uninstall" to "{app} a été supprimée",
            "confirm" to "Veuillez confirmer la suppression de {app}",
        ),
        bodies = mapOf(
            "warn" to "{app} n'est pas autorisée dans votre profil professionnel. Motif : {reason}.",
            "suspend" to "{app} ne peut plus être ouverte dans votre profil professionnel. Motif : {reason}.",
            "hide" to "{app} a été masquée dans votre profil professionnel. Motif : {reason}.",
            "uninstall" to "{app} a été supprimée de votre profil professionnel. Motif : {reason}.",
            "confirm" to "{app} doit être supprimée de votre profil professionnel. Motif : {reason}.",
        ),
        deadline = "Date limite : {deadline}.",
        defaultReason = "elle figure sur la liste des applications interdites de votre organisation",
        footer = "Veto ne vérifie que votre profil professionnel.",
        datePattern = "d MMMM yyyy",
    )

    val GERMAN = NoticeLanguage(
        tag = "de",
        channelName = "Konformität von Arbeits-Apps",
        titles = mapOf(
            "warn" to "Bitte entfernen Sie {app}",
            "suspend" to "{app} wurde gesperrt",
            "hide" to "{app} wurde ausgeblendet",
            "uninstall" to "{app} wurde entfernt",
            "confirm" to "Bitte bestätigen Sie das Entfernen von {app}",
        ),
        bodies = mapOf(
            "warn" to "{app} ist in Ihrem Arbeitsprofil nicht erlaubt. Grund: {reason}.",
            "suspend" to "{app} kann in Ihrem Arbeitsprofil nicht mehr geöffnet werden. Grund: {reason}.",
            "hide" to "{app} wurde in Ihrem Arbeitsprofil ausgeblendet. Grund: {reason}.",
            "uninstall" to "{app} wurde aus Ihrem Arbeitsprofil entfernt. Grund: {reason}.",
            "confirm" to "{app} muss aus Ihrem Arbeitsprofil entfernt werden. Grund: {reason}.",
        ),
        deadline = "Frist: {deadline}.",
        defaultReason = "die App steht auf der Liste der gesperrten Apps Ihrer Organisation",
        footer = "Veto prüft nur Ihr Arbeitsprofil.",
        datePattern = "d. MMMM yyyy",
    )

    val DANISH = NoticeLanguage(
        tag = "da",
        channelName = "Overholdelse for arbejdsapps",
        titles = mapOf(
            "warn" to "Fjern venligst {app}",
            "suspend" to "{app} er blevet spærret",
            "hide" to "{app} er blevet skjult",
            "uninstall" to "{app} er blevet fjernet",
            "confirm" to "Bekræft venligst fjernelse af {app}",
        ),
        bodies = mapOf(
            "warn" to "{app} er ikke tilladt i din arbejdsprofil. Årsag: {reason}.",
            "suspend" to "{app} kan ikke længere åbnes i din arbejdsprofil. Årsag: {reason}.",
            "hide" to "{app} er blevet skjult i din arbejdsprofil. Årsag: {reason}.",
            "uninstall" to "{app} er blevet fjernet fra din arbejdsprofil. Årsag: {reason}.",
            "confirm" to "{app} skal fjernes fra din arbejdsprofil. Årsag: {reason}.",
        ),
        deadline = "Frist: {deadline}.",
        defaultReason = "den står på din organisations liste over forbudte apps",
        footer = "Veto tjekker kun din arbejdsprofil.",
        datePattern = "d. MMMM yyyy",
    )

    val LANGUAGES: List<NoticeLanguage> = listOf(ENGLISH, DUTCH, FRENCH, GERMAN, DANISH)

    /** The language for [locale]; English when Veto does not speak the device's language. */
    fun forLocale(locale: Locale): NoticeLanguage = LANGUAGES.firstOrNull { it.tag == locale.language } ?: ENGLISH

    /**
     * Which notice to show for an executed action, judged by its outcome so the notice never
     * claims a step that did not happen: `report` shows nothing, a reversal withdraws the notice,
     * `warn` asks the employee to remove the app, a done suspend/hide/uninstall says so, an
     * uninstall waiting for the employee asks them to confirm, and a failed step falls back to
     * the warning (the app still has to go).
     */
    fun change(action: PlannedAction, outcome: Outcome?, language: NoticeLanguage, zone: ZoneId): NoticeChange? {
        val kind = when (action.action) {
            "report" -> return null
            "unsuspend", "unhide" -> return NoticeChange.Withdraw(action.packageName)
            "warn" -> "warn"
            "suspend", "hide", "uninstall" -> when (outcome?.result) {
                Result.DONE -> action.action
                Result.PENDING_USER -> "confirm"
                Result.FAILED, null -> "warn"
            }
            else -> return null
        }
        return NoticeChange.Post(notice(kind, action, language, zone))
    }

    /** The notice of [kind] (one of [KINDS]) for [action]. */
    fun notice(kind: String, action: PlannedAction, language: NoticeLanguage, zone: ZoneId): Notice {
        val app = action.label?.takeIf { it.isNotBlank() } ?: action.packageName
        val reason = action.reason?.trim()?.trimEnd('.')?.takeIf { it.isNotEmpty() } ?: language.defaultReason
        fun fill(template: String) = template.replace("{app}", app).replace("{reason}", reason)
        val parts = mutableListOf(fill(language.bodies.getValue(kind)))
        action.deadline?.let { parts += language.deadline.replace("{deadline}", formatDate(it, language, zone)) }
        parts += language.footer
        return Notice(action.packageName, fill(language.titles.getValue(kind)), parts.joinToString(" "), resolved = kind == "uninstall", confirm = kind == "confirm")
    }

    /** The deadline as a date in the employee's time zone; the raw text if it is not RFC 3339. */
    fun formatDate(rfc3339: String, language: NoticeLanguage, zone: ZoneId): String = try {
        OffsetDateTime.parse(rfc3339).atZoneSameInstant(zone)
            .format(DateTimeFormatter.ofPattern(language.datePattern, Locale.forLanguageTag(language.tag)))
    } catch (e: DateTimeParseException) {
        rfc3339
    }
}
