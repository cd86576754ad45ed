//! The Robolectric runner of the shell's framework tests: the real libveto.so in every sandbox, and no threads left behind.
package app.veto.testing

import org.junit.runners.model.FrameworkMethod
import org.robolectric.RobolectricTestRunner
import org.robolectric.internal.bytecode.Sandbox
import java.io.File
import java.lang.reflect.Method
import java.nio.file.Files
import java.nio.file.StandardCopyOption

/**
 * Robolectric runs each API level in its own class loader, and turns `System.loadLibrary` into a
 * no-op there. The JVM lets one native library file belong to one class loader only, so before
 * the application of a sandbox is created this runner loads a private copy of libveto.so
 * (from `veto.native.dir`) through that sandbox's loader: `VetoNative`'s natives then bind to
 * the real core, exactly as on a device. Test classes annotated [WithoutNativeLibrary] skip
 * this and see what a device without a loadable library sees.
 */
class VetoTestRunner(testClass: Class<*>) : RobolectricTestRunner(testClass) {
    override fun beforeTest(sandbox: Sandbox, method: FrameworkMethod, bootstrappedMethod: Method) {
        if (!method.declaringClass.isAnnotationPresent(WithoutNativeLibrary::class.java)) {
            sandbox.bootstrappedClass<Any>(SandboxNative::class.java).getMethod("load").invoke(null)
        }
        super.beforeTest(sandbox, method, bootstrappedMethod)
    }
}

/**
 * Marks a test class whose sandbox must not get libveto.so. Give such a class its own sandbox
 * too (`@Config(instrumentedPackages = [...])` with a package of its own), or the sandbox it
 * shares with other tests decides whether the library is there.
 */
@Target(AnnotationTarget.CLASS)
@Retention(AnnotationRetention.RUNTIME)
annotation class WithoutNativeLibrary

/** Loaded once per sandbox class loader (each has its own copy of this class). */
object SandboxNative {
    @Volatile private var loaded = false

    /** True when libveto.so has been built where the tests expect it. */
    val available: Boolean get() = library().isFile

    fun library(): File = File(System.getProperty("veto.native.dir", "../target/debug"), System.mapLibraryName("veto"))

    @JvmStatic
    @Synchronized
    fun load() {
        if (loaded || !available) return
        val copy = Files.createTempFile("libveto-sandbox-", ".so")
        copy.toFile().deleteOnExit()
        Files.copy(library().toPath(), copy, StandardCopyOption.REPLACE_EXISTING)
        // System.load ties the library to the caller's class loader: this sandbox's.
        System.load(copy.toAbsolutePath().toString())
        loaded = true
    }
}
