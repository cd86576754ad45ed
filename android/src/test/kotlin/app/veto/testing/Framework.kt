//! Helpers for the Robolectric tests: the application, packages, owners and delegates as the framework holds them, jobs, and thread hygiene.
package app.veto.testing

import android.app.Application
import android.app.admin.DevicePolicyManager
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context
import android.content.pm.ApplicationInfo
import android.content.pm.PackageInfo
import android.content.pm.Signature
import android.content.pm.SigningInfo
import android.os.Build
import app.veto.trigger.Scans
import app.veto.trigger.SweepJob
import app.veto.trigger.VetoAdminReceiver
import org.junit.Assert.assertTrue
import org.robolectric.Robolectric
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowDevicePolicyManager
import org.robolectric.util.ReflectionHelpers
import org.robolectric.util.ReflectionHelpers.ClassParameter

object Framework {
    val app: Application get() = RuntimeEnvironment.getApplication()

    val dpm: DevicePolicyManager get() = app.getSystemService(DevicePolicyManager::class.java)!!

    val shadowDpm: ShadowDevicePolicyManager get() = shadowOf(dpm)

    val admin: ComponentName get() = ComponentName(app, VetoAdminReceiver::class.java)

    val jobs: JobScheduler get() = app.getSystemService(JobScheduler::class.java)!!

    fun makeProfileOwner() {
        shadowDpm.setProfileOwner(admin)
        shadowDpm.setActiveAdmin(admin)
    }

    fun makeDeviceOwner() {
        shadowDpm.setDeviceOwner(admin)
        shadowDpm.setActiveAdmin(admin)
    }

    /**
     * Installs [packageName] in the (work profile's) package manager with a label, installer and
     * signing certificate ([certificate]: the encoded bytes whose SHA-256 is the signer digest).
     */
    fun install(
        packageName: String,
        label: String = packageName,
        installer: String? = "com.android.vending",
        certificate: ByteArray = "cert of $packageName".toByteArray(),
        archived: Boolean = false,
    ): PackageInfo {
        val info = PackageInfo().apply {
            this.packageName = packageName
            versionName = "1.0"
            @Suppress("DEPRECATION")
            versionCode = 1
            applicationInfo = ApplicationInfo().apply {
                this.packageName = packageName
                nonLocalizedLabel = label
                flags = if (archived) 0 else ApplicationInfo.FLAG_INSTALLED
                if (archived && Build.VERSION.SDK_INT >= 35) isArchived = true
            }
            signingInfo = signingInfo(certificate)
            @Suppress("DEPRECATION")
            signatures = arrayOf(Signature(certificate))
        }
        val spm = shadowOf(app.packageManager)
        spm.installPackage(info)
        if (installer != null) {
            spm.setInstallSourceInfo(packageName, installer, installer)
            @Suppress("DEPRECATION")
            app.packageManager.setInstallerPackageName(packageName, installer)
        }
        return info
    }

    /**
     * A SigningInfo whose certificate bytes are [certificate] (they need not parse: the
     * constructor used takes the public keys as given, here none). SigningDetails is hidden and
     * has moved between API levels, so it is found through SigningInfo's own constructor.
     */
    private fun signingInfo(certificate: ByteArray): SigningInfo {
        val ctor = SigningInfo::class.java.declaredConstructors.single { c ->
            c.parameterCount == 1 && c.parameterTypes[0].name.endsWith("SigningDetails")
        }
        val detailsClass = ctor.parameterTypes[0]
        val details = ReflectionHelpers.callConstructor(
            detailsClass,
            ClassParameter.from(Array<Signature>::class.java, arrayOf(Signature(certificate))),
            ClassParameter.from(Int::class.javaPrimitiveType, 3),
            ClassParameter.from(android.util.ArraySet::class.java, android.util.ArraySet<java.security.PublicKey>()),
            // The rotation history: here only the current signer, as after a first release.
            ClassParameter.from(Array<Signature>::class.java, arrayOf(Signature(certificate))),
        )
        ctor.isAccessible = true
        return ctor.newInstance(details) as SigningInfo
    }

    /** Runs the job the system would run for [jobId] (Robolectric schedules but never runs jobs), and waits for its worker. */
    fun runJob(jobId: Int) {
        val service = Robolectric.buildService(SweepJob::class.java).create().get()
        val params = jobParameters(jobId)
        val mainThread = Thread.currentThread()
        assertTrue("onStartJob hands the scan to a worker thread", service.onStartJob(params))
        assertTrue("the scan worker finished within 60 s", Scans.awaitIdle(60_000))
        assertTrue("the job called jobFinished", shadowOf(service).isJobFinished)
        check(mainThread.isAlive)
    }

    private fun jobParameters(jobId: Int): JobParameters {
        val cls = JobParameters::class.java
        // The constructor's parameters differ between API levels; take the longest and fill defaults.
        val ctor = cls.declaredConstructors.maxByOrNull { it.parameterCount }!!
        ctor.isAccessible = true
        val args: List<Any?> = ctor.parameterTypes.mapIndexed { i, t ->
            when {
                i == 1 && t == Int::class.javaPrimitiveType -> jobId
                t == Int::class.javaPrimitiveType -> 0
                t == Long::class.javaPrimitiveType -> 0L
                t == Boolean::class.javaPrimitiveType -> false
                t == String::class.java -> "app.veto"
                else -> null
            }
        }
        return ctor.newInstance(*args.toTypedArray<Any?>()) as JobParameters
    }

    /** Worker threads Veto starts, by name; none may outlive a test. */
    fun vetoThreads(): List<Thread> = Thread.getAllStackTraces().keys.filter { it.isAlive && it.name.startsWith("veto-") }

    fun assertNoVetoThreads() {
        Scans.awaitIdle(10_000)
        val deadline = System.currentTimeMillis() + 5_000
        while (vetoThreads().isNotEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(20)
        assertTrue("threads left running: ${vetoThreads().map { it.name }}", vetoThreads().isEmpty())
    }

    fun context(): Context = app
}
