//! Answers the platform's GET_PROVISIONING_MODE during QR / afw# / NFC provisioning (Android 12+): Veto sets up a work profile.
package app.veto.ui

import android.app.Activity
import android.app.admin.DevicePolicyManager
import android.content.Intent
import android.os.Build
import android.os.Bundle

/**
 * Without this activity (and [PolicyComplianceActivity]) provisioning Veto as the DPC fails on
 * Android 12+. It shows nothing: it picks a mode from the ones the platform allows
 * (`EXTRA_PROVISIONING_ALLOWED_PROVISIONING_MODES`, API 31+) and returns it. Veto is made for
 * work profiles, so a work profile is preferred (company-owned or personal), then a fully
 * managed device; none of those allowed: `RESULT_CANCELED`. Only the system may start it
 * (`BIND_DEVICE_ADMIN` in the manifest).
 */
class ProvisioningModeActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val mode = chooseMode(allowedModes(intent))
        if (mode == null) {
            setResult(RESULT_CANCELED)
        } else {
            setResult(RESULT_OK, Intent().putExtra(DevicePolicyManager.EXTRA_PROVISIONING_MODE, mode))
        }
        finish()
    }

    companion object {
        /** Veto's order of preference. */
        val PREFERENCE = listOf(
            DevicePolicyManager.PROVISIONING_MODE_MANAGED_PROFILE,
            DevicePolicyManager.PROVISIONING_MODE_MANAGED_PROFILE_ON_PERSONAL_DEVICE,
            DevicePolicyManager.PROVISIONING_MODE_FULLY_MANAGED_DEVICE,
        )

        /** Null before API 31, which sends no list (every mode is then allowed). */
        fun allowedModes(intent: Intent?): List<Int>? {
            if (Build.VERSION.SDK_INT < Build.VERSION_CODES.S) return null
            return intent?.getIntegerArrayListExtra(DevicePolicyManager.EXTRA_PROVISIONING_ALLOWED_PROVISIONING_MODES)
        }

        /** The first of [PREFERENCE] the platform allows; a work profile when it sent no list. */
        fun chooseMode(allowed: List<Int>?): Int? =
            if (allowed == null) DevicePolicyManager.PROVISIONING_MODE_MANAGED_PROFILE
            else PREFERENCE.firstOrNull { it in allowed }
    }
}
