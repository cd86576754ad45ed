//! The DeviceAdminService: while Veto is the device or profile owner the system keeps a binding to it, so Veto's process stays up.
package app.veto.trigger

import android.app.admin.DeviceAdminService

/**
 * Holds no logic: the system binds it (action `android.app.action.DEVICE_ADMIN_SERVICE`,
 * protected by `BIND_DEVICE_ADMIN`) for as long as Veto is the owner, which keeps the process
 * and so the run-time receivers of [ChangeReceiver] alive. A delegate gets no such binding.
 */
class VetoAdminService : DeviceAdminService()
