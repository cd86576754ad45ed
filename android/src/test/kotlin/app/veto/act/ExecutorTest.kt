//! The executor: what each role may attempt, degradation with reasons, isolation of failures, outcomes JSON.
package app.veto.act

import app.veto.observe.Capabilities
import app.veto.observe.CapabilityFacts
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Records every call; [refuse] packages are refused, [throwFor] packages throw SecurityException. */
class FakeDevicePolicy(
    private val refuse: Set<String> = emptySet(),
    private val throwFor: Set<String> = emptySet(),
    private val uninstallStatus: UninstallStatus = UninstallStatus.Removed,
) : DevicePolicyPort {
    val calls = mutableListOf<String>()

    private fun call(what: String, pkg: String): Boolean {
        calls += "$what $pkg"
        if (pkg in throwFor) throw SecurityException("caller is not a profile owner")
        return pkg !in refuse
    }

    override fun setSuspended(packageName: String, suspended: Boolean) = call(if (suspended) "suspend" else "unsuspend", packageName)
    override fun setHidden(packageName: String, hidden: Boolean) = call(if (hidden) "hide" else "unhide", packageName)
    override fun uninstall(packageName: String): UninstallStatus {
        call("uninstall", packageName)
        return uninstallStatus
    }
    override fun setUninstallBlocked(packageName: String, blocked: Boolean) {
        call("block-uninstall=$blocked", packageName)
    }

    /** The owner's set-up calls, kept apart from [calls] (the actions). */
    val setupCalls = mutableListOf<String>()
    var supportMessages: Pair<String, String>? = null

    override fun setUserControlDisabled(packages: List<String>): Boolean {
        setupCalls += "user-control-disabled ${packages.joinToString()}"
        return true
    }

    override fun grantNotifications(packageName: String): Boolean {
        setupCalls += "grant-notifications $packageName"
        return true
    }

    override fun setSupportMessages(short: String, long: String) {
        setupCalls += "support-messages"
        supportMessages = short to long
    }
}

class ExecutorTest {
    private val base = CapabilityFacts("app.veto", false, false, false, emptyList(), null)
    private val profileOwner = Capabilities.decide(base.copy(isProfileOwner = true))
    private val deviceOwner = Capabilities.decide(base.copy(isDeviceOwner = true))
    private val noRole = Capabilities.decide(base)

    private fun a(pkg: String, action: String) = PlannedAction(pkg, action, reason = "barred")

    @Test
    fun `uninstall without device owner is not attempted and fails with the reason`() {
        val port = FakeDevicePolicy()
        val outcomes = Executor(port, profileOwner) { true }.execute(listOf(a("com.zhiliaoapp.musically", "uninstall")))
        assertEquals(emptyList<String>(), port.calls)
        val o = outcomes.single()
        assertEquals(Result.FAILED, o.result)
        assertTrue(o.detail!!.contains("device owner or an affiliated profile owner"), o.detail)
    }

    @Test
    fun `device owner uninstalls silently, and a confirmation request becomes pending_user`() {
        val done = Executor(FakeDevicePolicy(), deviceOwner) { true }.execute(listOf(a("com.x", "uninstall"))).single()
        assertEquals(Result.DONE, done.result)
        val port = FakeDevicePolicy(uninstallStatus = UninstallStatus.NeedsUser("confirm please"))
        val pending = Executor(port, deviceOwner) { true }.execute(listOf(a("com.x", "uninstall"))).single()
        assertEquals(Outcome("com.x", "uninstall", Result.PENDING_USER, "confirm please"), pending)
        val failedPort = FakeDevicePolicy(uninstallStatus = UninstallStatus.Failed("PackageInstaller status 1: nope"))
        assertEquals("PackageInstaller status 1: nope", Executor(failedPort, deviceOwner) { true }.execute(listOf(a("com.x", "uninstall"))).single().detail)
    }

    @Test
    fun `one failing action never stops the others and outcomes keep plan order`() {
        val port = FakeDevicePolicy(refuse = setOf("com.launcher"), throwFor = setOf("com.boom"))
        val outcomes = Executor(port, profileOwner) { true }.execute(
            listOf(a("com.boom", "suspend"), a("com.launcher", "suspend"), a("com.ok", "hide"), a("com.old", "unhide")),
        )
        assertEquals(listOf("suspend com.boom", "suspend com.launcher", "hide com.ok", "unhide com.old"), port.calls)
        assertEquals(listOf(Result.FAILED, Result.FAILED, Result.DONE, Result.DONE), outcomes.map { it.result })
        assertEquals(listOf("com.boom", "com.launcher", "com.ok", "com.old"), outcomes.map { it.packageName })
        assertTrue(outcomes[0].detail!!.contains("SecurityException: caller is not a profile owner"), outcomes[0].detail)
        assertTrue(outcomes[1].detail!!.contains("refused to suspend com.launcher"), outcomes[1].detail)
    }

    @Test
    fun `without a role nothing is attempted on the device, report and warn still work`() {
        val port = FakeDevicePolicy()
        val outcomes = Executor(port, noRole) { true }.execute(
            listOf(a("com.a", "report"), a("com.a", "warn"), a("com.a", "suspend"), a("com.a", "hide"), a("com.a", "unsuspend")),
        )
        assertEquals(emptyList<String>(), port.calls)
        assertEquals(listOf(Result.DONE, Result.DONE, Result.FAILED, Result.FAILED, Result.FAILED), outcomes.map { it.result })
        assertTrue(outcomes[2].detail!!.contains("delegation-package-access"), outcomes[2].detail)
    }

    @Test
    fun `warn fails when notifications are off, unknown actions fail by name`() {
        val outcomes = Executor(FakeDevicePolicy(), profileOwner) { false }.execute(listOf(a("com.a", "warn"), a("com.a", "explode")))
        assertEquals(Result.FAILED, outcomes[0].result)
        assertTrue(outcomes[0].detail!!.contains("notifications"), outcomes[0].detail)
        assertTrue(outcomes[1].detail!!.startsWith("unknown action \"explode\""), outcomes[1].detail)
    }

    @Test
    fun `a delegate with package access suspends`() {
        val delegate = Capabilities.decide(base.copy(delegatedScopes = listOf(Capabilities.DELEGATION_PACKAGE_ACCESS)))
        val port = FakeDevicePolicy()
        val o = Executor(port, delegate) { true }.execute(listOf(a("com.a", "suspend"))).single()
        assertEquals(Result.DONE, o.result)
        assertEquals(listOf("suspend com.a"), port.calls)
    }

    @Test
    fun `self protection blocks Veto's own uninstall only where permitted`() {
        val port = FakeDevicePolicy()
        assertTrue(Executor(port, profileOwner) { true }.protectSelf().blocked)
        assertEquals(listOf("block-uninstall=true app.veto"), port.calls)

        val delegatePort = FakeDevicePolicy()
        val delegate = Capabilities.decide(base.copy(delegatedScopes = listOf(Capabilities.DELEGATION_PACKAGE_ACCESS)))
        val refused = Executor(delegatePort, delegate) { true }.protectSelf()
        assertFalse(refused.blocked)
        assertTrue(refused.detail.contains("delegation-block-uninstall"), refused.detail)
        assertEquals(emptyList<String>(), delegatePort.calls)

        val throwing = Executor(FakeDevicePolicy(throwFor = setOf("app.veto")), deviceOwner) { true }.protectSelf()
        assertFalse(throwing.blocked)
        assertTrue(throwing.detail.contains("SecurityException"), throwing.detail)
    }

    @Test
    fun `outcomes json follows the contract`() {
        val json = Outcomes.toJson(
            listOf(
                Outcome("com.a", "suspend", Result.DONE),
                Outcome("com.b", "uninstall", Result.FAILED, "why"),
                Outcome("com.c", "uninstall", Result.PENDING_USER, "asked"),
            ),
        )
        val list = json.getJSONArray("outcomes")
        assertEquals(3, list.length())
        val first = list.getJSONObject(0)
        assertEquals(setOf("package", "action", "result", "detail"), first.keySet())
        assertEquals("com.a", first.getString("package"))
        assertEquals("suspend", first.getString("action"))
        assertEquals("done", first.getString("result"))
        assertTrue(first.isNull("detail"))
        assertEquals("failed", list.getJSONObject(1).getString("result"))
        assertEquals("why", list.getJSONObject(1).getString("detail"))
        assertEquals("pending_user", list.getJSONObject(2).getString("result"))
    }
}
