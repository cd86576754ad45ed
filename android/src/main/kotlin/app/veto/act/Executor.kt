//! Carries out the plan's actions through the device-policy port, one outcome per action.
package app.veto.act

import app.veto.observe.Capabilities

/** How a silent uninstall request ended. */
sealed class UninstallStatus {
    object Removed : UninstallStatus()
    /** The platform wants the user to confirm (`STATUS_PENDING_USER_ACTION`). */
    data class NeedsUser(val detail: String) : UninstallStatus()
    data class Failed(val why: String) : UninstallStatus()
}

/**
 * The DevicePolicyManager / PackageInstaller calls the executor makes. The Android
 * implementation passes Veto's admin component when Veto is the DPC and `null` as a delegate.
 * Methods may throw (SecurityException and friends); the executor turns that into an outcome.
 */
interface DevicePolicyPort {
    /** `setPackagesSuspended`; false when the platform refused this package. */
    fun setSuspended(packageName: String, suspended: Boolean): Boolean

    /** `setApplicationHidden`; false when the platform refused. */
    fun setHidden(packageName: String, hidden: Boolean): Boolean

    /** Silent `PackageInstaller.uninstall`; called only when [Capabilities.canUninstallSilently]. */
    fun uninstall(packageName: String): UninstallStatus

    /** `setUninstallBlocked`. */
    fun setUninstallBlocked(packageName: String, blocked: Boolean)

    /**
     * `setUserControlDisabledPackages` (API 30+, owners): the employee can no longer force-stop
     * [packages] or clear their data, and they are exempt from app standby. False when the
     * platform is too old for it.
     */
    fun setUserControlDisabled(packages: List<String>): Boolean

    /**
     * `setPermissionGrantState(POST_NOTIFICATIONS, GRANTED)` for [packageName] (API 33+,
     * owners). False when the platform is too old or refused.
     */
    fun grantNotifications(packageName: String): Boolean

    /**
     * `setShortSupportMessage` / `setLongSupportMessage` (owners): the system shows them in its
     * "blocked by your IT admin" dialog when the employee taps a suspended app, and in Settings.
     */
    fun setSupportMessages(short: String, long: String)
}

/** Whether Veto's own uninstall could be blocked this run, and why not. */
data class SelfProtection(val blocked: Boolean, val detail: String)

/** One step of setting Veto up as the owner; [detail] says what happened. */
data class SetupStep(val name: String, val done: Boolean, val detail: String)

/** The support messages in the employee's language (`support_short`, `support_long`). */
data class SupportMessages(val short: String, val long: String)

/**
 * Executes planned actions. Every action yields exactly one [Outcome], in plan order; an action
 * the device does not allow is not attempted (the outcome says why), and an exception in one
 * action never stops the others.
 *
 * [noticesEnabled] tells whether a `warn` can reach the employee (notifications not blocked);
 * the notice itself is posted by the run after the outcomes are recorded.
 */
class Executor(
    private val port: DevicePolicyPort,
    private val capabilities: Capabilities,
    private val noticesEnabled: () -> Boolean,
) {
    fun execute(actions: List<PlannedAction>): List<Outcome> = actions.map(::executeOne)

    /** Blocks the uninstall of Veto itself where permitted, so an employee cannot remove it. */
    fun protectSelf(): SelfProtection {
        if (!capabilities.canBlockUninstall) {
            return SelfProtection(
                false,
                "blocking Veto's uninstall needs Veto to be the device policy controller or a delegate with " +
                    "${Capabilities.DELEGATION_BLOCK_UNINSTALL}; Veto's role is ${capabilities.role.json}",
            )
        }
        return try {
            port.setUninstallBlocked(capabilities.selfPackage, true)
            SelfProtection(true, "uninstall of ${capabilities.selfPackage} blocked")
        } catch (e: RuntimeException) {
            SelfProtection(false, "setUninstallBlocked failed: ${describe(e)}")
        }
    }

    /**
     * What an owner does for itself at setup and on every run (issue 8 item 3), each step
     * independent of the others: keep Veto from being force-stopped or cleared, grant its own
     * notifications, and put the support messages (when given) in the employee's current
     * language; Veto's own uninstall is blocked by [protectSelf]. Nothing
     * for a delegate or an unprivileged Veto (those are the EMM's to grant).
     */
    fun setUpOwner(messages: SupportMessages?): List<SetupStep> {
        if (!capabilities.isOwner) return emptyList()
        val self = capabilities.selfPackage
        return listOfNotNull(
            step("user_control_disabled") {
                if (port.setUserControlDisabled(listOf(self))) "force stop and clear data disabled for $self"
                else null
            },
            step("notifications_granted") {
                if (port.grantNotifications(self)) "POST_NOTIFICATIONS granted to $self" else null
            },
            messages?.let {
                step("support_messages") {
                    port.setSupportMessages(it.short, it.long)
                    "support messages set"
                }
            },
        )
    }

    /** [body] returns what it did, or null when the platform has no such call or refused. */
    private inline fun step(name: String, body: () -> String?): SetupStep = try {
        val done = body()
        if (done != null) SetupStep(name, true, done) else SetupStep(name, false, "$name: not available on this Android version or refused")
    } catch (e: RuntimeException) {
        SetupStep(name, false, "$name failed: ${describe(e)}")
    }

    private fun executeOne(a: PlannedAction): Outcome = try {
        when (a.action) {
            "report" -> Outcome.done(a)
            "warn" ->
                if (noticesEnabled()) Outcome.done(a)
                else Outcome.failed(a, "notifications for Veto are turned off, so the employee cannot be warned")
            "suspend", "unsuspend" -> suspend(a, a.action == "suspend")
            "hide", "unhide" -> hide(a, a.action == "hide")
            "uninstall" -> uninstall(a)
            else -> Outcome.failed(a, "unknown action \"${a.action}\"; this shell knows report, warn, suspend, unsuspend, hide, unhide, uninstall")
        }
    } catch (e: RuntimeException) {
        // SecurityException (role lost mid-run), IllegalArgumentException (package vanished), …
        Outcome.failed(a, "${a.action} of ${a.packageName} failed: ${describe(e)}")
    }

    private fun suspend(a: PlannedAction, suspended: Boolean): Outcome {
        if (!capabilities.canHideAndSuspend) return Outcome.failed(a, capabilities.whyNoHideOrSuspend())
        return if (port.setSuspended(a.packageName, suspended)) Outcome.done(a)
        else Outcome.failed(
            a,
            "the platform refused to ${a.action} ${a.packageName} (device admins, the default launcher and dialer cannot be suspended)",
        )
    }

    private fun hide(a: PlannedAction, hidden: Boolean): Outcome {
        if (!capabilities.canHideAndSuspend) return Outcome.failed(a, capabilities.whyNoHideOrSuspend())
        return if (port.setHidden(a.packageName, hidden)) Outcome.done(a)
        else Outcome.failed(a, "the platform refused to ${a.action} ${a.packageName} (is it installed, or a required system app?)")
    }

    private fun uninstall(a: PlannedAction): Outcome {
        if (!capabilities.canUninstallSilently) return Outcome.failed(a, capabilities.whyNoSilentUninstall())
        return when (val status = port.uninstall(a.packageName)) {
            UninstallStatus.Removed -> Outcome.done(a)
            is UninstallStatus.NeedsUser -> Outcome.pendingUser(a, status.detail)
            is UninstallStatus.Failed -> Outcome.failed(a, status.why)
        }
    }

    private fun describe(e: RuntimeException): String = "${e.javaClass.simpleName}: ${e.message ?: "no message"}"
}
