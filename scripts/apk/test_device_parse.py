#!/usr/bin/env python3
"""Tests of scripts/apk/device_parse.py against the recorded adb output in
tests/fixtures/device/ (reconstructed, not captured: see its README). Run: python3 test_device_parse.py"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import device_parse as p  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "device")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


class ShellReplies(unittest.TestCase):
    def test_created_user(self):
        self.assertEqual(p.created_user(fixture("pm-create-user.txt")), 10)
        self.assertIsNone(p.created_user(fixture("pm-create-user-refused.txt")))

    def test_owner_set(self):
        self.assertTrue(p.owner_set(fixture("dpm-set-profile-owner.txt")))
        self.assertFalse(p.owner_set(fixture("dpm-set-profile-owner-unknown.txt")))

    def test_broadcast(self):
        self.assertEqual(p.broadcast(fixture("am-broadcast-config.txt")),
                         (1, "config set: denied_signers,enforcement_action,grace_period_days,use_builtin_catalog"))
        code, data = p.broadcast(fixture("am-broadcast-not-owner.txt"))
        self.assertEqual(code, 2)
        self.assertTrue(data.startswith("not the profile owner"))
        # No receiver (a release APK has none): result 0 and no data.
        self.assertEqual(p.broadcast(fixture("am-broadcast-no-receiver.txt")), (0, None))
        self.assertIsNone(p.broadcast("Error: Bad component name: x\n"))

    def test_install(self):
        self.assertEqual(p.install(fixture("pm-install.txt")), (True, ""))
        ok, why = p.install(fixture("pm-install-failed.txt"))
        self.assertFalse(ok)
        self.assertTrue(why.startswith("INSTALL_FAILED_UPDATE_INCOMPATIBLE"), why)


class DevicePolicy(unittest.TestCase):
    def test_profile_owner_android14(self):
        self.assertEqual(p.profile_owner(fixture("dumpsys-device_policy-android14.txt"), 10),
                         "app.veto/app.veto.trigger.VetoAdminReceiver")
        self.assertIsNone(p.profile_owner(fixture("dumpsys-device_policy-android14.txt"), 11))

    def test_profile_owner_android11_short_class_name(self):
        self.assertEqual(p.profile_owner(fixture("dumpsys-device_policy-android11.txt"), 11),
                         "app.veto/app.veto.trigger.VetoAdminReceiver")

    def test_no_profile_owner(self):
        self.assertIsNone(p.profile_owner(fixture("dumpsys-device_policy-no-owner.txt"), 10))


class PackageState(unittest.TestCase):
    def test_suspended_by_the_admin_android14(self):
        s = p.package_state(fixture("dumpsys-package-tiktok-android14.txt"), "com.zhiliaoapp.musically", 10)
        self.assertEqual(s, {"present": True, "installed": True, "hidden": False, "suspended": True,
                             "suspenders": ["android"]})
        # User 0 of the same dump: not installed, and its suspension state is its own.
        s0 = p.package_state(fixture("dumpsys-package-tiktok-android14.txt"), "com.zhiliaoapp.musically", 0)
        self.assertEqual((s0["installed"], s0["suspended"], s0["suspenders"]), (False, False, []))

    def test_lifted(self):
        s = p.package_state(fixture("dumpsys-package-tiktok-lifted-android14.txt"), "com.zhiliaoapp.musically", 10)
        self.assertEqual((s["installed"], s["suspended"], s["suspenders"]), (True, False, []))

    def test_two_suspenders_as_user_packages_android15(self):
        s = p.package_state(fixture("dumpsys-package-trill-android15.txt"), "com.ss.android.ugc.trill", 10)
        self.assertEqual(s["suspenders"], ["com.android.shell", "android"])
        self.assertTrue(s["suspended"])

    def test_hidden_android11(self):
        s = p.package_state(fixture("dumpsys-package-clone-android11.txt"), "com.example.vetotest.clone", 11)
        self.assertEqual((s["installed"], s["hidden"], s["suspended"], s["suspenders"]), (True, True, True, ["android"]))

    def test_a_package_is_not_confused_with_the_next_one(self):
        s = p.package_state(fixture("dumpsys-package-harmless-android14.txt"), "com.example.vetotest.harmless", 10)
        self.assertEqual(s, {"present": True, "installed": True, "hidden": False, "suspended": False, "suspenders": []})
        t = p.package_state(fixture("dumpsys-package-harmless-android14.txt"), "com.example.vetotest.harmlessextra", 10)
        self.assertEqual((t["hidden"], t["suspended"], t["suspenders"]), (True, True, ["android"]))

    def test_absent(self):
        s = p.package_state(fixture("dumpsys-package-absent.txt"), "com.zhiliaoapp.musically.go", 10)
        self.assertEqual(s, {"present": False, "installed": None, "hidden": None, "suspended": None, "suspenders": []})

    def test_unknown_user_gives_none_not_a_guess(self):
        s = p.package_state(fixture("dumpsys-package-tiktok-android14.txt"), "com.zhiliaoapp.musically", 12)
        self.assertEqual((s["present"], s["installed"], s["suspended"]), (True, None, None))


class Notifications(unittest.TestCase):
    def test_veto_notices_for_the_profile(self):
        found = p.notifications(fixture("dumpsys-notification-android14.txt"), "app.veto", 10)
        self.assertEqual([n["id"] for n in found], [1001, 1002])
        self.assertEqual(found[0]["channel"], "veto_notices")
        self.assertEqual(found[0]["title"], "TikTok must be removed")
        self.assertIn("com.zhiliaoapp.musically", found[0]["text"])

    def test_other_users_and_packages_are_not_counted(self):
        self.assertEqual(p.notifications(fixture("dumpsys-notification-android14.txt"), "app.veto", 0), [])
        self.assertEqual(len(p.notifications(fixture("dumpsys-notification-android14.txt"), "com.android.systemui", 0)), 1)


class HostTools(unittest.TestCase):
    def test_cert_digest(self):
        self.assertEqual(p.cert_digest(fixture("apksigner-print-certs.txt")),
                         "5b8e63d2a1f04c97e6b2d8a31f0c5e47b9d2a6c8e1f3b5d7092c4e6a8b0d2f41")
        self.assertIsNone(p.cert_digest("DOES NOT VERIFY\n"))

    def test_launchable_activity(self):
        self.assertEqual(p.launchable_activity(fixture("aapt2-badging-launcher.txt")), "app.veto.shell.StatusActivity")
        self.assertIsNone(p.launchable_activity("package: name='app.veto' versionCode='1'\n"))


if __name__ == "__main__":
    unittest.main(verbosity=1)
