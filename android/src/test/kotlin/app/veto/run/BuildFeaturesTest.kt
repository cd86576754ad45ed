package app.veto.run

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The CI APK's visible degradation: which features a build lacks, and what the log then says. */
class BuildFeaturesTest {
    @Test
    fun `without the two libraries both features are reported missing, with what that means`() {
        // The real class lookup: the Maven harness, like the CI APK, lacks the verifier's Kotlin
        // half. (The Robolectric tests put a stand-in enterprise-feedback sink on the classpath,
        // so that one is judged below through an explicit lookup.)
        assertTrue(BuildFeatures.Feature.HTTPS in BuildFeatures.missing())

        val neither: (String) -> Boolean = { false }
        assertEquals(listOf(BuildFeatures.Feature.KEYED_APP_STATES, BuildFeatures.Feature.HTTPS), BuildFeatures.missing(neither))
        val lines = mutableListOf<String>()
        BuildFeatures.logMissing(neither) { lines += it }
        assertEquals(2, lines.size)
        assertTrue(lines[0].startsWith("Keyed app states are unavailable in this build"), lines[0])
        assertTrue(lines[1].startsWith("HTTPS is unavailable in this build"), lines[1])
    }

    @Test
    fun `a build that has both classes reports nothing missing`() {
        val present = BuildFeatures.Feature.entries.map { it.className }.toSet()
        assertEquals(emptyList<BuildFeatures.Feature>(), BuildFeatures.missing { it in present })
        val lines = mutableListOf<String>()
        BuildFeatures.logMissing({ it in present }) { lines += it }
        assertEquals(emptyList<String>(), lines)
        // One of the two: only the other is reported.
        assertEquals(
            listOf(BuildFeatures.Feature.HTTPS),
            BuildFeatures.missing { it == BuildFeatures.Feature.KEYED_APP_STATES.className },
        )
    }

    @Test
    fun `the class names are the ones R8 keeps`() {
        val rules = java.io.File(System.getProperty("veto.android.dir") ?: ".", "proguard-rules.pro").readText()
        assertTrue(rules.contains("-keep class ${BuildFeatures.Feature.KEYED_APP_STATES.className}"), "proguard-rules.pro must keep the sink by name")
        assertTrue(
            rules.contains("class " + BuildFeatures.Feature.HTTPS.className.substringBeforeLast('.') + ".**"),
            "proguard-rules.pro must keep org.rustls.platformverifier.**",
        )
    }
}
