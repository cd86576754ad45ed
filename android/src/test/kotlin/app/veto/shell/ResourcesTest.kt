//! Checks what only aapt would otherwise check (Maven compiles no resources): the manifest,
//! the managed-configuration schema and every language's strings, parsed with the JDK's XML parser.
package app.veto.shell

import android.app.admin.DeviceAdminReceiver
import android.app.job.JobService
import android.content.BroadcastReceiver
import app.veto.trigger.BootReceiver
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.w3c.dom.Document
import org.w3c.dom.Element
import java.io.File
import javax.xml.parsers.DocumentBuilderFactory

private const val ANDROID_NS = "http://schemas.android.com/apk/res/android"

class ResourcesTest {
    private val res = File(System.getProperty("veto.android.dir", "."), "src/main/res")
    private val manifestFile = File(res.parentFile, "AndroidManifest.xml")
    private val languages = listOf("values", "values-nl", "values-fr", "values-de", "values-da")

    /**
     * Every key veto-core understands (the managed-configuration table of the core API):
     * key to (restriction type, default). Keep in step with veto_core::config.
     */
    private val expectedKeys = linkedMapOf(
        "policy_json" to ("string" to ""),
        "use_builtin_catalog" to ("bool" to "true"),
        "include_state_actor_catalog" to ("bool" to "false"),
        "allowlist_mode" to ("bool" to "false"),
        "denied_packages" to ("string" to ""),
        "denied_signers" to ("string" to ""),
        "denied_installers" to ("string" to ""),
        "allowed_packages" to ("string" to ""),
        "protected_packages" to ("string" to ""),
        "enforcement_action" to ("choice" to "policy"),
        "grace_period_days" to ("integer" to "42"),
        "act_on_system_packages" to ("bool" to "false"),
        "policy_url" to ("string" to ""),
        "policy_public_key" to ("string" to ""),
        "report_url" to ("string" to ""),
        "report_token" to ("string" to ""),
        "report_inventory" to ("bool" to "false"),
        "device_id" to ("string" to ""),
    )
    private val enforcementChoices = listOf("policy", "report", "warn", "suspend", "hide", "uninstall")

    private fun parse(file: File): Document {
        assertTrue(file.isFile, "missing $file")
        val factory = DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }
        return factory.newDocumentBuilder().parse(file)
    }

    private fun Element.android(name: String): String? = getAttributeNS(ANDROID_NS, name).takeIf { hasAttributeNS(ANDROID_NS, name) }

    private fun Document.elements(tag: String): List<Element> =
        getElementsByTagName(tag).let { list -> (0 until list.length).map { list.item(it) as Element } }

    private fun Element.children(tag: String): List<Element> =
        getElementsByTagName(tag).let { list -> (0 until list.length).map { list.item(it) as Element } }

    /** name → text of every <string> in one values folder. */
    private fun strings(folder: String): Map<String, String> =
        parse(File(res, "$folder/strings.xml")).elements("string").associate { it.getAttribute("name") to it.textContent }

    private fun arrays(): Map<String, List<String>> =
        res.listFiles { f -> f.name == "values" }!!.flatMap { dir -> dir.listFiles { f -> f.name.endsWith(".xml") }!!.toList() }
            .flatMap { parse(it).elements("string-array") }
            .associate { a -> a.getAttribute("name") to a.children("item").map { it.textContent.trim() } }

    @Test
    fun `every managed-configuration key is declared with its type and default`() {
        val restrictions = parse(File(res, "xml/app_restrictions.xml")).elements("restriction")
        val declared = restrictions.associateBy { it.android("key")!! }
        assertEquals(expectedKeys.keys.toList(), restrictions.map { it.android("key") }, "keys (in order)")
        for ((key, typeAndDefault) in expectedKeys) {
            val r = declared.getValue(key)
            assertEquals(typeAndDefault.first, r.android("restrictionType"), "$key: restrictionType")
            assertEquals(typeAndDefault.second, r.android("defaultValue"), "$key: defaultValue")
            assertEquals("@string/restriction_${key}_title", r.android("title"), "$key: title")
            assertEquals("@string/restriction_${key}_description", r.android("description"), "$key: description")
        }
        val choice = declared.getValue("enforcement_action")
        val arrays = arrays()
        val values = arrays[choice.android("entryValues")!!.removePrefix("@array/")]
        val entries = arrays[choice.android("entries")!!.removePrefix("@array/")]
        assertEquals(enforcementChoices, values, "enforcement_action: entryValues")
        assertEquals(enforcementChoices.size, entries?.size, "enforcement_action: one label per value")
    }

    @Test
    fun `every referenced string exists in all five languages`() {
        val referenced = mutableSetOf<String>()
        val refPattern = Regex("@string/([A-Za-z0-9_]+)")
        val sources = listOf(manifestFile, File(res, "xml/app_restrictions.xml"), File(res, "values/arrays.xml"))
        for (f in sources) refPattern.findAll(f.readText()).forEach { referenced += it.groupValues[1] }
        assertTrue(referenced.size >= expectedKeys.size * 2 + enforcementChoices.size, "found only $referenced")
        for (folder in languages) {
            val defined = strings(folder)
            val missing = referenced - defined.keys
            assertTrue(missing.isEmpty(), "$folder/strings.xml lacks $missing")
        }
        // A string only a translation defines would never be used by the default build.
        val base = strings("values").keys
        for (folder in languages.drop(1)) {
            val extra = strings(folder).keys - base
            assertTrue(extra.isEmpty(), "$folder/strings.xml defines $extra, which values/ does not")
        }
    }

    @Test
    fun `strings are translated and need no aapt escapes`() {
        val english = strings("values")
        for (folder in languages) {
            for ((name, text) in strings(folder)) {
                assertTrue(text.isNotBlank(), "$folder: $name is empty")
                // aapt treats a bare ' as an error and a bare " as quoting; the texts use ’ “ ” instead.
                assertFalse(text.contains('\'') || text.contains('"'), "$folder: $name contains a straight quote: $text")
                // Placeholders are positional (%1${'$'}s), which aapt2 requires when there are several,
                // and every translation has exactly the placeholders of the English text.
                assertFalse(Regex("%[sd]").containsMatchIn(text), "$folder: $name has a non-positional placeholder: $text")
                val placeholders = Regex("%\\d\\${'$'}s").findAll(text).map { it.value }.toSet()
                val englishPlaceholders = Regex("%\\d\\${'$'}s").findAll(english[name] ?: "").map { it.value }.toSet()
                assertEquals(englishPlaceholders, placeholders, "$folder: $name placeholders")
            }
            if (folder != "values") {
                val translated = strings(folder).count { (name, text) -> name.startsWith("restriction_") && name.endsWith("_description") && text != english[name] }
                assertEquals(expectedKeys.size, translated, "$folder: every description differs from English")
            }
        }
    }

    @Test
    fun `every resource the manifest and xml files reference exists`() {
        val texts = listOf(manifestFile, File(res, "xml/app_restrictions.xml")).joinToString("\n") { it.readText() }
        for (m in Regex("@xml/([A-Za-z0-9_]+)").findAll(texts)) {
            assertTrue(File(res, "xml/${m.groupValues[1]}.xml").isFile, "missing res/xml/${m.groupValues[1]}.xml")
        }
        val arrays = arrays()
        for (m in Regex("@array/([A-Za-z0-9_]+)").findAll(texts)) {
            assertTrue(m.groupValues[1] in arrays, "missing array ${m.groupValues[1]}")
        }
        assertEquals("device-admin", parse(File(res, "xml/device_admin.xml")).documentElement.tagName)
    }

    @Test
    fun `every exported component is protected by a permission`() {
        val app = parse(manifestFile).elements("application").single()
        val components = listOf("activity", "activity-alias", "service", "receiver", "provider").flatMap { app.children(it) }
        assertTrue(components.isNotEmpty())
        for (c in components) {
            val name = c.android("name")
            val hasFilter = c.children("intent-filter").isNotEmpty()
            // API 31+ refuses to install an app whose component with an intent filter leaves exported unset.
            if (hasFilter) assertTrue(c.android("exported") != null, "$name: set android:exported explicitly")
            val exported = c.android("exported")?.toBooleanStrict() ?: hasFilter
            // The launcher entry must be startable by the launcher; it is the only exception.
            val launcher = c.children("category").any { it.android("name") == "android.intent.category.LAUNCHER" }
            if (exported && !launcher) {
                assertFalse(c.android("permission").isNullOrBlank(), "$name is exported without android:permission")
            }
        }
    }

    @Test
    fun `components exist, extend the right class and are wired as the code expects`() {
        val doc = parse(manifestFile)
        val app = doc.elements("application").single()
        assertEquals("app.veto.trigger.VetoApplication", app.android("name"))
        assertTrue(android.app.Application::class.java.isAssignableFrom(Class.forName(app.android("name")!!)))
        val byName = listOf("service", "receiver").flatMap { app.children(it) }.associateBy { it.android("name")!! }

        val admin = byName.getValue("app.veto.trigger.VetoAdminReceiver")
        assertTrue(DeviceAdminReceiver::class.java.isAssignableFrom(Class.forName("app.veto.trigger.VetoAdminReceiver")))
        assertEquals("android.permission.BIND_DEVICE_ADMIN", admin.android("permission"))
        val adminMeta = admin.children("meta-data").single()
        assertEquals(DeviceAdminReceiver.DEVICE_ADMIN_META_DATA, adminMeta.android("name"))
        assertEquals("@xml/device_admin", adminMeta.android("resource"))
        assertEquals(
            setOf(DeviceAdminReceiver.ACTION_DEVICE_ADMIN_ENABLED, DeviceAdminReceiver.ACTION_PROFILE_PROVISIONING_COMPLETE),
            admin.children("action").map { it.android("name") }.toSet(),
        )

        val boot = byName.getValue("app.veto.trigger.BootReceiver")
        assertTrue(BroadcastReceiver::class.java.isAssignableFrom(Class.forName("app.veto.trigger.BootReceiver")))
        assertEquals(BootReceiver.HANDLED, boot.children("action").map { it.android("name") }.toSet())

        val job = byName.getValue("app.veto.trigger.SweepJob")
        assertTrue(JobService::class.java.isAssignableFrom(Class.forName("app.veto.trigger.SweepJob")))
        assertEquals(JobService.PERMISSION_BIND, job.android("permission"))

        val restrictionsMeta = app.children("meta-data").single { it.android("name") == "android.content.APP_RESTRICTIONS" }
        assertEquals("@xml/app_restrictions", restrictionsMeta.android("resource"))
    }

    @Test
    fun `the manifest declares the activities, the DeviceAdminService and no registered-only broadcast`() {
        val app = parse(manifestFile).elements("application").single()
        val activities = app.children("activity").associateBy { it.android("name")!! }
        fun actions(e: Element) = e.children("action").map { it.android("name") }.toSet()

        val status = activities.getValue("app.veto.ui.StatusActivity")
        assertEquals(setOf("android.intent.action.MAIN"), actions(status))
        assertTrue(status.children("category").any { it.android("name") == "android.intent.category.LAUNCHER" })
        for ((name, action) in listOf(
            "app.veto.ui.ProvisioningModeActivity" to "android.app.action.GET_PROVISIONING_MODE",
            "app.veto.ui.PolicyComplianceActivity" to "android.app.action.ADMIN_POLICY_COMPLIANCE",
        )) {
            val activity = activities.getValue(name)
            assertEquals(setOf(action), actions(activity), name)
            assertEquals("android.permission.BIND_DEVICE_ADMIN", activity.android("permission"), name)
            assertTrue(android.app.Activity::class.java.isAssignableFrom(Class.forName(name)))
        }

        val service = app.children("service").single { it.android("name") == "app.veto.trigger.VetoAdminService" }
        assertTrue(android.app.admin.DeviceAdminService::class.java.isAssignableFrom(Class.forName("app.veto.trigger.VetoAdminService")))
        assertEquals("android.permission.BIND_DEVICE_ADMIN", service.android("permission"))
        assertEquals(setOf("android.app.action.DEVICE_ADMIN_SERVICE"), actions(service))

        // Sent with FLAG_RECEIVER_REGISTERED_ONLY: a manifest entry would never fire.
        val registeredOnly = setOf(
            "android.app.action.APPLICATION_DELEGATION_SCOPES_CHANGED",
            "android.intent.action.APPLICATION_RESTRICTIONS_CHANGED",
        )
        val declared = app.children("receiver").flatMap { actions(it) }.toSet()
        assertEquals(emptySet<String>(), declared intersect registeredOnly)
    }

    @Test
    fun `permissions are the ones the shell uses`() {
        val permissions = parse(manifestFile).elements("uses-permission").map { it.android("name") }.toSet()
        assertEquals(
            setOf(
                "android.permission.QUERY_ALL_PACKAGES",
                "android.permission.RECEIVE_BOOT_COMPLETED",
                "android.permission.POST_NOTIFICATIONS",
                "android.permission.REQUEST_DELETE_PACKAGES",
                "android.permission.INTERNET",
                "android.permission.ACCESS_NETWORK_STATE",
            ),
            permissions,
        )
    }
}
