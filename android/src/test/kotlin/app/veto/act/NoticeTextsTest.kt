//! Which actions get a notice, and its text in each language.
package app.veto.act

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.time.ZoneId
import java.time.ZoneOffset
import java.util.Locale

class NoticeTextsTest {
    private val utc = ZoneOffset.UTC
    private val tiktok = PlannedAction("com.zhiliaoapp.musically", "warn", "TikTok", "Barred from work phones.", "2026-12-13T09:00:00Z")

    private fun post(change: NoticeChange?): Notice = (change as NoticeChange.Post).notice

    @Test
    fun `report-only gives no notice`() {
        for (lang in NoticeTexts.LANGUAGES) {
            assertNull(NoticeTexts.change(tiktok.copy(action = "report"), Outcome.done(tiktok.copy(action = "report")), lang, utc))
        }
    }

    @Test
    fun `reversals withdraw the notice`() {
        assertEquals(NoticeChange.Withdraw("com.x"), NoticeTexts.change(PlannedAction("com.x", "unsuspend"), null, NoticeTexts.ENGLISH, utc))
        assertEquals(NoticeChange.Withdraw("com.x"), NoticeTexts.change(PlannedAction("com.x", "unhide"), null, NoticeTexts.ENGLISH, utc))
    }

    @Test
    fun `english warning names the app, the reason and the deadline`() {
        val n = post(NoticeTexts.change(tiktok, Outcome.done(tiktok), NoticeTexts.ENGLISH, utc))
        assertEquals("com.zhiliaoapp.musically", n.packageName)
        assertEquals("Please remove TikTok", n.title)
        assertEquals(
            "TikTok is not allowed in your work profile. Reason: Barred from work phones. Deadline: 13 December 2026. Veto only checks your work profile.",
            n.body,
        )
    }

    @Test
    fun `each language formats the deadline in its own words`() {
        val expected = mapOf(
            "en" to "13 December 2026",
            "nl" to "13 december 2026",
            "fr" to "13 décembre 2026",
            "de" to "13. Dezember 2026",
            "da" to "13. december 2026",
        )
        for (lang in NoticeTexts.LANGUAGES) {
            val n = post(NoticeTexts.change(tiktok, Outcome.done(tiktok), lang, utc))
            assertTrue(n.body.contains(expected.getValue(lang.tag)), "${lang.tag}: ${n.body}")
            assertTrue(n.title.contains("TikTok") && n.body.contains("Barred from work phones"), "${lang.tag}: $n")
        }
        assertEquals("Verwijder TikTok", post(NoticeTexts.change(tiktok, null, NoticeTexts.DUTCH, utc)).title)
        assertEquals("Bitte entfernen Sie TikTok", post(NoticeTexts.change(tiktok, null, NoticeTexts.GERMAN, utc)).title)
    }

    @Test
    fun `every language has every kind of notice, translated`() {
        for (lang in NoticeTexts.LANGUAGES) {
            assertEquals(NoticeTexts.KINDS.toSet(), lang.titles.keys, lang.tag)
            assertEquals(NoticeTexts.KINDS.toSet(), lang.bodies.keys, lang.tag)
            for (kind in NoticeTexts.KINDS) {
                assertTrue(lang.titles.getValue(kind).contains("{app}"), "${lang.tag} title $kind")
                assertTrue(lang.bodies.getValue(kind).contains("{reason}"), "${lang.tag} body $kind")
                if (lang != NoticeTexts.ENGLISH) {
                    assertNotEquals(NoticeTexts.ENGLISH.bodies[kind], lang.bodies[kind], "${lang.tag} body $kind is untranslated")
                }
            }
            assertTrue(lang.deadline.contains("{deadline}"), lang.tag)
        }
        assertEquals(listOf("en", "nl", "fr", "de", "da"), NoticeTexts.LANGUAGES.map { it.tag })
    }

    @Test
    fun `the notice follows the outcome, never claiming a step that failed`() {
        val suspend = tiktok.copy(action = "suspend")
        assertEquals("TikTok has been suspended", post(NoticeTexts.change(suspend, Outcome.done(suspend), NoticeTexts.ENGLISH, utc)).title)
        assertEquals("Please remove TikTok", post(NoticeTexts.change(suspend, Outcome.failed(suspend, "refused"), NoticeTexts.ENGLISH, utc)).title)
        val uninstall = tiktok.copy(action = "uninstall")
        assertEquals(
            "Please confirm removing TikTok",
            post(NoticeTexts.change(uninstall, Outcome.pendingUser(uninstall, "asked"), NoticeTexts.ENGLISH, utc)).title,
        )
        val removed = post(NoticeTexts.change(uninstall, Outcome.done(uninstall), NoticeTexts.ENGLISH, utc))
        assertEquals("TikTok has been removed", removed.title)
        assertTrue(removed.resolved) // stays after the app is gone
        assertFalse(post(NoticeTexts.change(suspend, Outcome.done(suspend), NoticeTexts.ENGLISH, utc)).resolved)
        assertEquals("TikTok er blevet skjult", post(NoticeTexts.change(tiktok.copy(action = "hide"), Outcome.done(tiktok.copy(action = "hide")), NoticeTexts.DANISH, utc)).title)
    }

    @Test
    fun `missing label, reason and deadline have sensible fallbacks`() {
        val bare = PlannedAction("com.example.bad", "warn")
        val n = post(NoticeTexts.change(bare, null, NoticeTexts.FRENCH, utc))
        assertEquals("Veuillez supprimer com.example.bad", n.title)
        assertTrue(n.body.contains(NoticeTexts.FRENCH.defaultReason), n.body)
        assertFalse(n.body.contains("Date limite"), n.body)
    }

    @Test
    fun `the deadline is shown in the employee's time zone`() {
        val late = tiktok.copy(deadline = "2026-12-13T23:30:00Z")
        val n = post(NoticeTexts.change(late, null, NoticeTexts.ENGLISH, ZoneId.of("Europe/Amsterdam")))
        assertTrue(n.body.contains("14 December 2026"), n.body)
        assertEquals("not-a-date", NoticeTexts.formatDate("not-a-date", NoticeTexts.ENGLISH, utc))
    }

    @Test
    fun `the language follows the locale, English otherwise`() {
        assertEquals("nl", NoticeTexts.forLocale(Locale.forLanguageTag("nl-BE")).tag)
        assertEquals("da", NoticeTexts.forLocale(Locale.forLanguageTag("da-DK")).tag)
        assertEquals("en", NoticeTexts.forLocale(Locale.forLanguageTag("sv-SE")).tag)
    }
}
