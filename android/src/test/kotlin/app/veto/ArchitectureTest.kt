//! The layout is the architecture: only the framework adapters, the triggers, the activities and the JNI facade import android.*.
package app.veto

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

class ArchitectureTest {
    private val main = File(System.getProperty("veto.android.dir", "."), "src/main/kotlin/app/veto")

    /** Where the framework may be used (issue 10). Everything else is plain Kotlin, testable on the JVM. */
    private fun mayUseFramework(file: File): Boolean {
        val path = file.relativeTo(main).invariantSeparatorsPath
        return file.name.startsWith("Android") ||
            path.startsWith("trigger/") ||
            path.startsWith("ui/") ||
            path == "core/Core.kt" || path == "core/VetoNative.kt"
    }

    @Test
    fun `only Android adapters, triggers, activities and the JNI facade import android`() {
        val sources = main.walk().filter { it.isFile && it.extension == "kt" }.toList()
        assertTrue(sources.size > 20, "found only ${sources.size} sources under $main")
        val offenders = sources.filter { f ->
            !mayUseFramework(f) && f.readLines().any { it.trim().startsWith("import android.") }
        }.map { it.relativeTo(main).path }
        assertEquals(emptyList<String>(), offenders)
    }

    @Test
    fun `activities live in ui and every Android adapter is named for it`() {
        val sources = main.walk().filter { it.isFile && it.extension == "kt" }
        for (f in sources) {
            val text = f.readText()
            if (Regex(":\\s*Activity\\(\\)").containsMatchIn(text)) assertEquals("ui", f.parentFile.name, "${f.name} is an activity outside ui/")
        }
    }
}
