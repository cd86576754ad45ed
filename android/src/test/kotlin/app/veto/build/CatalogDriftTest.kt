package app.veto.build

import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.w3c.dom.Element

/**
 * Keeps the two Android builds in step. Gradle builds the APK from gradle/libs.versions.toml;
 * this Maven harness (pom.xml) type-checks and tests the same Kotlin against a Kotlin compiler
 * and a framework jar of its own choosing. If the two drift apart, code that passes here could
 * fail in the real build, so the versions must match.
 */
class CatalogDriftTest {
    private val androidDir = File(System.getProperty("veto.android.dir") ?: ".").absoluteFile.normalize()
    private val catalogFile = File(androidDir, "../gradle/libs.versions.toml").normalize()
    private val pomFile = File(androidDir, "pom.xml").normalize()
    private val buildFile = File(androidDir, "build.gradle.kts").normalize()
    private val toolchainFile = File(androidDir, "../scripts/android/toolchain.sh").normalize()
    private val lockFile = File(androidDir, "../Cargo.lock").normalize()

    private val catalog by lazy { catalogVersions(read(catalogFile), catalogFile.path) }
    private val pom by lazy { pomProperties(pomFile) }

    @Test
    fun `the pom compiles with the Kotlin version Gradle uses`() {
        assertEquals(
            catalogValue("kotlin"),
            pomValue("kotlin.version"),
            "$pomFile property kotlin.version must equal [versions] kotlin in $catalogFile",
        )
    }

    @Test
    fun `the pom type-checks against the API level Gradle compiles for`() {
        assertEquals(
            catalogValue("compileSdk"),
            pomValue("android.api"),
            "$pomFile property android.api must equal [versions] compileSdk in $catalogFile",
        )
    }

    @Test
    fun `the Robolectric manifest gets the minSdk and targetSdk Gradle uses`() {
        assertEquals(
            catalogValue("minSdk"),
            pomValue("android.min.sdk"),
            "$pomFile property android.min.sdk must equal [versions] minSdk in $catalogFile",
        )
        assertEquals(
            catalogValue("targetSdk"),
            pomValue("android.api"),
            "$pomFile property android.api (the targetSdk of the merged manifest) must equal [versions] targetSdk in $catalogFile",
        )
    }

    @Test
    fun `the framework jar is the Android release of that API level`() {
        val api = catalogValue("compileSdk").toIntOrNull()
            ?: fail("$catalogFile: [versions] compileSdk is not a number: \"${catalogValue("compileSdk")}\"")
        val release = ANDROID_RELEASE_OF_API[api]
            ?: fail("no Android release known for API $api: add it to ANDROID_RELEASE_OF_API in CatalogDriftTest")
        val jar = pomValue("android.all.version")
        assertTrue(
            jar.startsWith("$release-"),
            "$pomFile property android.all.version is \"$jar\", but API $api is Android $release: " +
                "use a \"$release-robolectric-…\" version of org.robolectric:android-all",
        )
    }

    @Test
    fun `build_gradle_kts takes its versions from the catalog`() {
        val script = read(buildFile)
        val required = listOf(
            "libs.plugins.android.application",
            "libs.plugins.kotlin.android",
            "libs.versions.compileSdk",
            "libs.versions.targetSdk",
            "libs.versions.minSdk",
            "libs.androidx.enterprise.feedback",
            "libs.rustls.platform.verifier",
        )
        val missing = required.filterNot { it in script }
        assertTrue(missing.isEmpty(), "$buildFile does not read ${missing.joinToString()} from the catalog")

        val hardCoded = listOf(
            Regex("""\b(compileSdk|targetSdk|minSdk)\s*=\s*\d+"""),
            Regex("""\bversion\s+"[^"]+""""),
            Regex(""""androidx\.enterprise:enterprise-feedback:[^"]*""""),
            Regex(""""org\.rustls:rustls-platform-verifier:[^"]*""""),
        ).flatMap { pattern -> pattern.findAll(script).map { it.value } }
        assertTrue(
            hardCoded.isEmpty(),
            "$buildFile hard-codes ${hardCoded.joinToString()}: put the version in $catalogFile instead",
        )
    }

    @Test
    fun `the platform verifier's Kotlin component takes its version from Cargo_lock`() {
        // build.gradle.kts reads the version of this Cargo.lock entry; without it Gradle fails
        // (or, with a hand-written version, a mismatch would crash at run time instead).
        val crate = "rustls-platform-verifier-android"
        assertTrue(read(buildFile).contains("\"$crate\""), "$buildFile does not read $crate from Cargo.lock")
        val lock = read(lockFile).lines()
        val entry = lock.indexOfFirst { it.trim() == "name = \"$crate\"" }
        assertTrue(entry >= 0, "$lockFile has no $crate entry (libveto.so must use rustls-platform-verifier)")
        assertTrue(
            lock[entry + 1].trim().matches(Regex("""version = "\d+\.\d+\.\d+"""")),
            "$lockFile: the line after name = \"$crate\" is ${lock[entry + 1]}",
        )
        val catalogEntry = read(catalogFile).lines().single { it.startsWith("rustls-platform-verifier =") }
        assertTrue(
            catalogEntry.contains("\"org.rustls:rustls-platform-verifier\"") && !catalogEntry.contains("version"),
            "$catalogFile: $catalogEntry (the module, without a version: Cargo.lock decides)",
        )
    }

    @Test
    fun `the native checks compile C for the app's minSdk`() {
        val default = Regex("""VETO_ANDROID_API:-(\d+)""").find(read(toolchainFile))?.groupValues?.get(1)
            ?: fail("$toolchainFile: no default VETO_ANDROID_API (\"\${VETO_ANDROID_API:-<minSdk>}\") found")
        assertEquals(
            catalogValue("minSdk"),
            default,
            "$toolchainFile default VETO_ANDROID_API must equal [versions] minSdk in $catalogFile",
        )
    }

    @Test
    fun `the catalog reader takes only the versions table and names what is missing`() {
        val text = """
            # a comment
            [versions]
            kotlin = "2.1.21"   # trailing comment
            compileSdk = "35"

            [libraries]
            kotlin = { module = "x:y", version.ref = "kotlin" }
        """.trimIndent()
        val versions = catalogVersions(text, "sample.toml")
        assertEquals(mapOf("kotlin" to "2.1.21", "compileSdk" to "35"), versions)

        val error = runCatching { catalogVersions("[libraries]\n", "empty.toml") }.exceptionOrNull()
        assertEquals("empty.toml: no [versions] table", error?.message)
    }

    private fun catalogValue(key: String): String =
        catalog[key] ?: fail("$catalogFile: [versions] has no key \"$key\"")

    private fun pomValue(name: String): String =
        pom[name] ?: fail("$pomFile: <properties> has no <$name>")

    private fun read(file: File): String {
        if (!file.isFile) fail<Unit>("${file.path} not found (working directory ${File(".").absolutePath})")
        return file.readText()
    }

    private fun pomProperties(file: File): Map<String, String> {
        read(file)
        val document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file)
        val properties = document.documentElement.getElementsByTagName("properties")
        if (properties.length == 0) fail<Unit>("$file: no <properties> element")
        val children = properties.item(0).childNodes
        return (0 until children.length)
            .map { children.item(it) }
            .filterIsInstance<Element>()
            .associate { it.tagName to it.textContent.trim() }
    }

    companion object {
        /** Android release names as Robolectric's android-all versions spell them. */
        val ANDROID_RELEASE_OF_API = mapOf(
            26 to "8.0.0", 27 to "8.1.0", 28 to "9", 29 to "10", 30 to "11", 31 to "12",
            32 to "12.1", 33 to "13", 34 to "14", 35 to "15", 36 to "16",
        )

        /**
         * The `key = "value"` pairs of the `[versions]` table of a Gradle version catalog. Only
         * what the catalog uses: string values, `#` comments, other tables skipped.
         */
        fun catalogVersions(text: String, where: String): Map<String, String> {
            val versions = linkedMapOf<String, String>()
            var table: String? = null
            var sawVersions = false
            text.lineSequence().forEachIndexed { index, raw ->
                val line = raw.substringBefore('#').trim()
                when {
                    line.isEmpty() -> Unit
                    line.startsWith("[") -> {
                        table = line.removePrefix("[").removeSuffix("]").trim()
                        if (table == "versions") sawVersions = true
                    }
                    table == "versions" -> {
                        val match = Regex("""^([A-Za-z0-9_.-]+)\s*=\s*"([^"]*)"$""").find(line)
                            ?: throw IllegalArgumentException(
                                "$where:${index + 1}: expected key = \"value\" in [versions], found: $line",
                            )
                        versions[match.groupValues[1]] = match.groupValues[2]
                    }
                }
            }
            if (!sawVersions) throw IllegalArgumentException("$where: no [versions] table")
            return versions
        }
    }
}
