//! What this build of Veto contains: the CI APK lacks the two libraries Maven Central does not have, and must say so rather than fail silently.
package app.veto.run

import app.veto.act.KeyedStates

/**
 * The Gradle build (what organisations publish) has everything. The CI APK
 * (scripts/build-apk.sh, for inspection and device tests) is built without
 * `androidx.enterprise:enterprise-feedback` and without the Kotlin half of
 * rustls-platform-verifier, because neither is on Maven Central. [missing] tells the status
 * screen which features such a build lacks; [logMissing] says it in the log at process start.
 * Both classes are looked up by the names R8 keeps (android/proguard-rules.pro).
 */
object BuildFeatures {
    enum class Feature(val className: String, val unavailable: String) {
        KEYED_APP_STATES(
            KeyedStates.ENTERPRISE_FEEDBACK_SINK,
            "Keyed app states are unavailable in this build (no androidx.enterprise:enterprise-feedback): " +
                "the EMM console shows no compliance states; they go to the log only.",
        ),
        HTTPS(
            "org.rustls.platformverifier.CertificateVerifier",
            "HTTPS is unavailable in this build (no Kotlin component of rustls-platform-verifier): " +
                "the policy feed and compliance reports fail; enforcement of the managed configuration goes on.",
        ),
    }

    /**
     * The features this build lacks, in declaration order; empty for a Gradle build.
     * [isPresent] answers whether a class is in the app (tests pass their own).
     */
    fun missing(isPresent: (String) -> Boolean = ::classPresent): List<Feature> =
        Feature.entries.filterNot { isPresent(it.className) }

    /**
     * One warning per missing feature, handed to [log] (call once per process: VetoApplication
     * passes logcat). No android.* here: run/ stays framework-free (ArchitectureTest).
     */
    fun logMissing(isPresent: (String) -> Boolean = ::classPresent, log: (String) -> Unit) {
        missing(isPresent).forEach { log(it.unavailable) }
    }

    private fun classPresent(name: String): Boolean = try {
        Class.forName(name, false, BuildFeatures::class.java.classLoader)
        true
    } catch (e: ClassNotFoundException) {
        false
    } catch (e: LinkageError) {
        false
    }
}
