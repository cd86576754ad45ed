//! Test builds only: sets Veto's own managed configuration and starts a scan on adb's request (scripts/device-acceptance.sh).
package app.veto.devicetest

import android.app.admin.DevicePolicyManager
import android.content.BroadcastReceiver
import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.os.Bundle
import app.veto.trigger.Scans
import app.veto.trigger.VetoAdminReceiver
import org.json.JSONException
import org.json.JSONObject

/**
 * The device acceptance run's way in. As profile owner, Veto writes the test policy as its own
 * application restrictions, exactly where an EMM's managed configuration arrives, so the run
 * then goes through the production path (RestrictionsManager, the core, the executor).
 *
 * Lives in src/devicetest: compiled into the CI devicetest APK only (CONTRACTS item 6).
 * Protected by DUMP in its manifest: only adb's shell user and the system can send to it.
 */
class TestPolicyReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        when (intent.action) {
            ACTION_SET_CONFIG -> setConfig(context, intent.getStringExtra(EXTRA_CONFIG))
            ACTION_SCAN -> {
                Scans.request(context, "device acceptance run")
                setResult(RESULT_OK, "scan requested", null)
            }
            else -> setResult(RESULT_FAILED, "unknown action ${intent.action}", null)
        }
    }

    private fun setConfig(context: Context, json: String?) {
        val bundle = try {
            toBundle(JSONObject(json ?: throw JSONException("no --es $EXTRA_CONFIG extra")))
        } catch (e: JSONException) {
            setResult(RESULT_FAILED, "bad $EXTRA_CONFIG: ${e.message}", null)
            return
        }
        val dpm = context.getSystemService(DevicePolicyManager::class.java)
        if (dpm == null) {
            setResult(RESULT_FAILED, "no DevicePolicyManager on this device", null)
            return
        }
        val admin = ComponentName(context, VetoAdminReceiver::class.java)
        try {
            dpm.setApplicationRestrictions(admin, context.packageName, bundle)
        } catch (e: SecurityException) {
            setResult(RESULT_FAILED, "not the profile owner: ${e.message}", null)
            return
        }
        setResult(RESULT_OK, "config set: ${bundle.keySet().sorted().joinToString(",")}", null)
    }

    /** Flat keys only, as the managed-configuration schema declares them (string, bool, integer). */
    private fun toBundle(json: JSONObject): Bundle {
        val bundle = Bundle()
        for (key in json.keys()) {
            when (val value = json.get(key)) {
                is Boolean -> bundle.putBoolean(key, value)
                is Int -> bundle.putInt(key, value)
                is String -> bundle.putString(key, value)
                else -> throw JSONException("$key: only strings, booleans and integers, found $value")
            }
        }
        return bundle
    }

    companion object {
        const val ACTION_SET_CONFIG = "app.veto.devicetest.SET_CONFIG"
        const val ACTION_SCAN = "app.veto.devicetest.SCAN"
        const val EXTRA_CONFIG = "config"
        const val RESULT_OK = 1
        const val RESULT_FAILED = 2
    }
}
