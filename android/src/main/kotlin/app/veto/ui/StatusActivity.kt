//! The launcher entry in the work profile: what Veto enforces, as what, what it found, when it last ran; "check now".
package app.veto.ui

import android.Manifest
import android.app.Activity
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import android.view.View
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import app.veto.R
import app.veto.act.FindingSummary
import app.veto.act.NoticeTexts
import app.veto.core.NativeCore
import app.veto.observe.Role
import app.veto.run.PolicySource
import app.veto.run.StatusSnapshot
import app.veto.trigger.Scans
import app.veto.run.BuildFeatures
import java.text.DateFormat
import java.time.ZoneId
import java.util.Date
import java.util.Locale

/**
 * Plain framework views (res/layout/status.xml), texts from resources in en/nl/fr/de/da.
 * Opening it once also takes Veto out of the stopped state a fresh install starts in, so the
 * system delivers its broadcasts and jobs from then on. On Android 13+ it asks for
 * `POST_NOTIFICATIONS` when nobody (employee or owner) granted it, since warnings are
 * notifications.
 */
class StatusActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.status)
        view<Button>(R.id.status_check_now).setOnClickListener {
            Scans.request(this, "check now")
            view<TextView>(R.id.status_check_result).apply {
                text = getString(R.string.status_check_requested)
                visibility = View.VISIBLE
                // TalkBack reads the confirmation without the employee having to look for it.
                announceForAccessibility(text)
            }
        }
        if (savedInstanceState == null && needsNotificationPermission()) {
            requestPermissions(arrayOf(Manifest.permission.POST_NOTIFICATIONS), REQUEST_NOTIFICATIONS)
        }
    }

    override fun onResume() {
        super.onResume()
        render(Scans.readStatus(this), NativeCore.unavailable())
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        super.onRequestPermissionsResult(requestCode, permissions, grantResults)
        if (requestCode == REQUEST_NOTIFICATIONS && grantResults.firstOrNull() == PackageManager.PERMISSION_GRANTED) {
            // Warnings that could not be shown can be now.
            Scans.request(this, "notifications allowed")
        }
        render(Scans.readStatus(this), NativeCore.unavailable())
    }

    /** Views of res/layout/status.xml (always there once the content view is set). */
    private fun <T : View> view(id: Int): T = checkNotNull(findViewById<T>(id)) { "status.xml has no view $id" }

    private fun needsNotificationPermission(): Boolean =
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU &&
            checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED

    private fun render(status: StatusSnapshot, coreUnavailable: String?) {
        val core = view<TextView>(R.id.status_core)
        val unavailable = coreUnavailable ?: status.coreUnavailable
        core.visibility = if (unavailable != null) View.VISIBLE else View.GONE
        core.text = unavailable?.let { getString(R.string.status_core_unavailable, it) } ?: ""

        val missing = BuildFeatures.missing()
        val build = view<TextView>(R.id.status_build)
        build.visibility = if (missing.isEmpty()) View.GONE else View.VISIBLE
        build.text = missing.joinToString("\n") {
            getString(
                when (it) {
                    BuildFeatures.Feature.KEYED_APP_STATES -> R.string.status_build_no_keyed_states
                    BuildFeatures.Feature.HTTPS -> R.string.status_build_no_https
                },
            )
        }

        view<TextView>(R.id.status_policy).text = when (val version = status.policyVersion) {
            null -> getString(R.string.status_policy_unknown)
            else -> getString(R.string.status_policy, version.toString(), sourceName(status.policySource))
        }
        view<TextView>(R.id.status_role).text = getString(R.string.status_role, roleName(status.role))
        view<TextView>(R.id.status_allows).text = getString(R.string.status_allows, allowed(status))

        val list = view<LinearLayout>(R.id.status_findings)
        list.removeAllViews()
        val lines = when {
            status.lastRunAt == null || status.compliant == null -> listOf(getString(R.string.status_not_run))
            status.findings.isEmpty() -> listOf(getString(R.string.status_findings_none))
            else -> status.findings.map(::findingLine)
        }
        for (line in lines) {
            list.addView(TextView(this).apply {
                text = line
                setPadding(0, 8, 0, 8)
                setTextAppearance(android.R.style.TextAppearance_Material_Body1)
            })
        }

        view<TextView>(R.id.status_times).text = listOf(
            getString(R.string.status_last_run, time(status.lastRunAt)),
            getString(R.string.status_last_sync, time(status.lastSyncAt)),
            getString(R.string.status_last_report, time(status.lastReportAt)),
        ).joinToString("\n")

        view<TextView>(R.id.status_notifications).visibility =
            if (needsNotificationPermission() || !notificationsEnabled()) View.VISIBLE else View.GONE
    }

    private fun notificationsEnabled(): Boolean =
        getSystemService(android.app.NotificationManager::class.java)?.areNotificationsEnabled() ?: false

    private fun findingLine(f: FindingSummary): String {
        val name = f.label?.takeIf { it.isNotBlank() } ?: f.packageName
        val step = actionName(f.action ?: f.step)
        val parts = mutableListOf(getString(R.string.status_finding, name, step))
        f.deadline?.let {
            val language = NoticeTexts.forLocale(Locale.getDefault())
            parts += getString(R.string.status_finding_deadline, NoticeTexts.formatDate(it, language, ZoneId.systemDefault()))
        }
        f.reason?.takeIf { it.isNotBlank() }?.let { parts += getString(R.string.status_finding_reason, it.trim().trimEnd('.')) }
        return parts.joinToString(" ")
    }

    private fun actionName(action: String?): String = getString(
        when (action) {
            "warn" -> R.string.enforcement_action_warn
            "suspend" -> R.string.enforcement_action_suspend
            "hide" -> R.string.enforcement_action_hide
            "uninstall" -> R.string.enforcement_action_uninstall
            else -> R.string.enforcement_action_report
        },
    )

    private fun sourceName(source: PolicySource?): String = getString(
        when (source) {
            PolicySource.FEED -> R.string.policy_source_feed
            PolicySource.MANAGED_CONFIGURATION -> R.string.policy_source_managed
            PolicySource.LAST_GOOD -> R.string.policy_source_last_good
            PolicySource.BUILT_IN, null -> R.string.policy_source_builtin
        },
    )

    private fun roleName(role: Role?): String = getString(
        when (role) {
            Role.DEVICE_OWNER -> R.string.role_device_owner
            Role.PROFILE_OWNER -> R.string.role_profile_owner
            Role.DELEGATE -> R.string.role_delegate
            Role.NONE -> R.string.role_none
            null -> R.string.role_unknown
        },
    )

    private fun allowed(status: StatusSnapshot): String {
        val can = mutableListOf(getString(R.string.allow_report_warn))
        if (status.canHideAndSuspend) can += getString(R.string.allow_suspend_hide)
        if (status.canUninstallSilently) can += getString(R.string.allow_uninstall)
        if (status.canBlockUninstall) can += getString(R.string.allow_self_protect)
        return can.joinToString(", ")
    }

    private fun time(millis: Long?): String =
        millis?.let { DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT, Locale.getDefault()).format(Date(it)) }
            ?: getString(R.string.status_never)

    companion object {
        const val REQUEST_NOTIFICATIONS = 1
    }
}
