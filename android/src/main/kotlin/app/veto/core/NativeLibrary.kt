//! The one place libveto.so is loaded from (VetoNative's initialiser).
package app.veto.core

/**
 * `System.loadLibrary("veto")`: on a device the library from the APK's `lib/<abi>/`. Kept in a
 * class of its own so the host tests can give each Robolectric sandbox (one class loader per API
 * level) its own copy of the library: the JVM lets one library file belong to one class loader
 * only, and Robolectric turns this call into a no-op in the classes it instruments
 * (`instrumentedPackages` in src/test/resources/robolectric.properties names this class).
 */
internal object NativeLibrary {
    fun load() = System.loadLibrary("veto")
}
