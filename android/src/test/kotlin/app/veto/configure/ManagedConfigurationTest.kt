//! The restrictions → JSON mapping (the Bundle-free part of reading managed configuration).
package app.veto.configure

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ManagedConfigurationTest {
    @Test
    fun `declared types map to json values`() {
        val result = ManagedConfiguration.toJson(
            mapOf(
                "use_builtin_catalog" to false,
                "grace_period_days" to 14,
                "denied_packages" to "com.ss.android.ugc.*\ncom.lemon.lvoverseas",
                "enforcement_action" to "suspend",
                "future_multi_select" to arrayOf("a", "b"),
                "big" to 5_000_000_000L,
            ),
        )
        assertEquals(emptyList<String>(), result.problems)
        val json = result.json
        assertEquals(false, json.get("use_builtin_catalog"))
        assertEquals(14, json.get("grace_period_days"))
        assertEquals("com.ss.android.ugc.*\ncom.lemon.lvoverseas", json.getString("denied_packages"))
        assertEquals("suspend", json.getString("enforcement_action"))
        assertEquals(listOf("a", "b"), json.getJSONArray("future_multi_select").let { a -> (0 until a.length()).map { a.getString(it) } })
        assertEquals(5_000_000_000L, json.getLong("big"))
    }

    @Test
    fun `bundles become nested objects and bundle arrays arrays of objects`() {
        val result = ManagedConfiguration.toJson(
            mapOf("extra" to mapOf("x" to true), "rules" to listOf(mapOf("id" to "a"), mapOf("id" to "b"))),
        )
        assertEquals(true, result.json.getJSONObject("extra").getBoolean("x"))
        assertEquals("b", result.json.getJSONArray("rules").getJSONObject(1).getString("id"))
    }

    @Test
    fun `a key without value is left out so the core applies its default`() {
        val result = ManagedConfiguration.toJson(mapOf("report_url" to null, "device_id" to "phone-7"))
        assertFalse(result.json.has("report_url"))
        assertEquals("phone-7", result.json.getString("device_id"))
        assertEquals(emptyList<String>(), result.problems)
    }

    @Test
    fun `an unsupported value is dropped and named with its key`() {
        val result = ManagedConfiguration.toJson(mapOf("grace_period_days" to 4.5, "allowlist_mode" to true))
        assertFalse(result.json.has("grace_period_days"))
        assertEquals(true, result.json.getBoolean("allowlist_mode"))
        assertEquals(1, result.problems.size)
        val problem = result.problems.single()
        assertTrue(problem.startsWith("managed configuration: grace_period_days: unsupported value type java.lang.Double"), problem)
    }

    @Test
    fun `an array with a null entry is dropped whole with the entry's index`() {
        val result = ManagedConfiguration.toJson(mapOf("list" to arrayOf("a", null)))
        assertFalse(result.json.has("list"))
        assertEquals(listOf("managed configuration: list[1]: null entry; the key is ignored"), result.problems)
    }
}
