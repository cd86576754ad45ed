// The Veto APK: the Kotlin shell in src/main/kotlin and src/androidx/kotlin, plus libveto.so
// built from the Cargo workspace at the repository root by cargo-ndk.
//
// Needs on the build machine: the Android SDK (platform 35), the NDK (version below; sdkmanager
// installs it), Rust with the three Android targets, and cargo-ndk. See docs/admin.md.
// Every version comes from gradle/libs.versions.toml; the JVM tests run with Maven (pom.xml).
// scripts/apk/lint-gradle.sh checks this file for known traps on every CI run.

import javax.inject.Inject
import org.gradle.process.ExecOperations

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
}

val appMinSdk = libs.versions.minSdk.get().toInt()

// Release signing comes from the environment (CI) or from ~/.gradle/gradle.properties
// (a developer's machine); nothing secret is in the repository. With no keystore configured,
// assembleRelease produces an unsigned APK (android-release-unsigned.apk) to sign elsewhere.
fun signingValue(environmentName: String, propertyName: String): String? =
    providers.environmentVariable(environmentName)
        .orElse(providers.gradleProperty(propertyName))
        .orNull
        ?.takeIf { it.isNotBlank() }

val releaseStoreFile = signingValue("VETO_RELEASE_STORE_FILE", "veto.release.storeFile")

android {
    namespace = "app.veto"
    compileSdk = libs.versions.compileSdk.get().toInt()
    ndkVersion = libs.versions.ndk.get()

    defaultConfig {
        // A package name is unique across all of Google Play, private apps included: an
        // organisation that cannot publish app.veto builds with -Pveto.applicationId=<its own>.
        applicationId = providers.gradleProperty("veto.applicationId").getOrElse("app.veto")
        minSdk = appMinSdk
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = libs.versions.versionCode.get().toInt()
        versionName = libs.versions.versionName.get()
    }

    sourceSets {
        getByName("main") {
            // src/androidx holds the one file that needs AndroidX (enterprise feedback); the Maven
            // harness compiles src/main only.
            // src/devicetest (the device acceptance run's test-only path) is never added here:
            // it goes only into the CI devicetest APK (scripts/build-apk.sh).
            kotlin.srcDirs("src/main/kotlin", "src/androidx/kotlin")
        }
        getByName("test") {
            // The JVM tests run under Maven against the real framework jar (Robolectric's
            // android-all); Gradle's unit tests would see android.jar's throwing stubs instead.
            java.setSrcDirs(emptyList<String>())
            kotlin.setSrcDirs(emptyList<String>())
        }
    }

    signingConfigs {
        releaseStoreFile?.let { storePath ->
            create("release") {
                storeFile = file(storePath)
                storePassword = signingValue("VETO_RELEASE_STORE_PASSWORD", "veto.release.storePassword")
                keyAlias = signingValue("VETO_RELEASE_KEY_ALIAS", "veto.release.keyAlias")
                keyPassword = signingValue("VETO_RELEASE_KEY_PASSWORD", "veto.release.keyPassword")
            }
        }
    }

    buildTypes {
        getByName("release") {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            signingConfig = signingConfigs.findByName("release")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
        // As in the Maven harness (-Werror): warnings fail the build.
        allWarningsAsErrors.set(true)
    }
}

// HTTPS in libveto.so (the policy feed and compliance reports) checks certificates with
// rustls-platform-verifier, whose Android backend calls a small Kotlin component through JNI
// (org.rustls:rustls-platform-verifier, an AAR). Its version must be the one the Rust crate was
// built with: the `rustls-platform-verifier-android` entry of Cargo.lock, read here as that
// crate's README describes (a ValueSource, so the configuration cache notices a changed lock
// file). The artifact is not on Maven Central or Google's Maven: settings.gradle.kts declares
// the Maven repository the rustls project publishes it in. R8 keeps it (proguard-rules.pro).
abstract class RustlsPlatformVerifierVersion : ValueSource<String, RustlsPlatformVerifierVersion.Params> {
    interface Params : ValueSourceParameters {
        val lockFile: RegularFileProperty
    }

    override fun obtain(): String {
        val lockFile = parameters.lockFile.get().asFile
        val lines = lockFile.readLines()
        val entry = lines.indexOfFirst { it.trim() == "name = \"$CRATE\"" }
        val version = if (entry < 0) {
            null
        } else {
            lines.drop(entry + 1)
                .firstOrNull { it.trimStart().startsWith("version = ") }
                ?.substringAfter('"', "")
                ?.substringBefore('"', "")
                ?.takeIf { it.isNotEmpty() }
        }
        return version ?: throw GradleException(
            "$CRATE not found in $lockFile: libveto.so must depend on rustls-platform-verifier (through veto-net)",
        )
    }

    companion object {
        const val CRATE = "rustls-platform-verifier-android"
    }
}

val rustlsPlatformVerifierVersion = providers.of(RustlsPlatformVerifierVersion::class.java) {
    parameters.lockFile.set(rootProject.layout.projectDirectory.file("Cargo.lock"))
}

configurations.configureEach {
    resolutionStrategy.eachDependency {
        if (requested.group == "org.rustls" && requested.name == "rustls-platform-verifier") {
            useVersion(rustlsPlatformVerifierVersion.get())
            because("the Kotlin component must match ${RustlsPlatformVerifierVersion.CRATE} in Cargo.lock")
        }
    }
}

dependencies {
    implementation(libs.androidx.enterprise.feedback)
    // Unversioned in the catalog: the version comes from Cargo.lock (above).
    implementation(libs.rustls.platform.verifier)
}

// libveto.so for the three ABIs the APK ships, built by cargo-ndk, one task per variant:
// cargoNdkBuildDebug (cargo's dev profile) for debug APKs, cargoNdkBuildRelease for release
// ones, each into build/rustJniLibs/<variant>/<abi>/, which AGP packages as that variant's
// generated jniLibs (so the task runs before packaging without further wiring).
//   --platform  minSdk: the NDK API level the library links against
// 16 KiB pages: cargo-ndk 4 passes the page-size flags for 64-bit targets and NDK r28 links
// 16 KiB-aligned by default (both pinned in the catalog), so no flags are passed here: a
// `--config` with quotes breaks on Windows, and a RUSTFLAGS in the environment would silently
// replace it anyway. scripts/apk/lint-gradle.sh keeps it that way; CI checks the alignment of
// the libraries it builds (scripts/check-apk.sh).
abstract class CargoNdkBuild @Inject constructor(
    private val execOperations: ExecOperations,
    private val fileSystemOperations: FileSystemOperations,
) : DefaultTask() {
    @get:Input abstract val cargo: Property<String>
    @get:Input abstract val abis: ListProperty<String>
    @get:Input abstract val platform: Property<Int>
    @get:Input abstract val releaseProfile: Property<Boolean>
    @get:Input @get:Optional abstract val ndkDirectory: Property<String>
    @get:InputFiles @get:PathSensitive(PathSensitivity.RELATIVE) abstract val sources: ConfigurableFileCollection
    @get:Internal abstract val workspace: DirectoryProperty
    @get:OutputDirectory abstract val outputDirectory: DirectoryProperty

    @TaskAction
    fun build() {
        val out = outputDirectory.get().asFile
        // Start empty: an ABI folder left from an earlier ABI list would be packaged too.
        fileSystemOperations.delete { delete(out) }
        out.mkdirs()
        val cargoArgs = mutableListOf("ndk")
        abis.get().forEach { cargoArgs += listOf("-t", it) }
        cargoArgs += listOf("--platform", platform.get().toString(), "-o", out.path, "build", "--locked", "-p", "veto-jni")
        if (releaseProfile.get()) cargoArgs += "--release"
        val ndk = ndkDirectory.orNull
        execOperations.exec {
            workingDir = workspace.get().asFile
            executable = cargo.get()
            args(cargoArgs)
            // cargo-ndk finds the NDK through ANDROID_NDK_HOME (see ndkForCargo below).
            if (ndk != null) environment("ANDROID_NDK_HOME", ndk)
        }
    }
}

// Where cargo is. Android Studio started from the Dock, the Start menu or a desktop shortcut does
// not inherit a shell's PATH, so ~/.cargo/bin is often not on it: the Gradle property
// veto.cargo (e.g. in ~/.gradle/gradle.properties) wins, then the CARGO environment variable,
// then $CARGO_HOME/bin or ~/.cargo/bin (cargo.exe on Windows) if cargo is there, then "cargo"
// from PATH.
val cargoFileName = providers.systemProperty("os.name")
    .map { if (it.startsWith("Windows")) "cargo.exe" else "cargo" }
val cargoExecutable: Provider<String> = providers.gradleProperty("veto.cargo")
    .orElse(providers.environmentVariable("CARGO"))
    .orElse(
        providers.environmentVariable("CARGO_HOME")
            .orElse(providers.systemProperty("user.home").map { "$it/.cargo" })
            .zip(cargoFileName) { home, name -> File(home, "bin/$name") }
            .map { if (it.isFile) it.path else "cargo" },
    )
// The NDK for cargo-ndk: ANDROID_NDK_HOME if the caller set it, else the one this build pins.
val ndkForCargo: Provider<String> = providers.environmentVariable("ANDROID_NDK_HOME")
    .orElse(androidComponents.sdkComponents.ndkDirectory.map { it.asFile.path })
val cargoWorkspace = rootProject.layout.projectDirectory

androidComponents {
    onVariants { variant ->
        val variantName = variant.name.replaceFirstChar { it.uppercase() }
        val isRelease = variant.buildType == "release"
        val cargoNdkBuild = tasks.register<CargoNdkBuild>("cargoNdkBuild$variantName") {
            group = "build"
            description = "Builds libveto.so (rust/veto-jni, ${if (isRelease) "release" else "dev"} profile) " +
                "for arm64-v8a, armeabi-v7a and x86_64 with cargo-ndk, for the ${variant.name} variant."
            cargo.set(cargoExecutable)
            abis.set(listOf("arm64-v8a", "armeabi-v7a", "x86_64"))
            platform.set(appMinSdk)
            releaseProfile.set(isRelease)
            ndkDirectory.set(ndkForCargo)
            workspace.set(cargoWorkspace)
            sources.from(
                cargoWorkspace.file("Cargo.toml"),
                cargoWorkspace.file("Cargo.lock"),
                cargoWorkspace.dir("rust").asFileTree.matching { exclude("**/target/**") },
            )
            outputDirectory.set(layout.buildDirectory.dir("rustJniLibs/${variant.name}"))
        }
        variant.sources.jniLibs?.addGeneratedSourceDirectory(cargoNdkBuild, CargoNdkBuild::outputDirectory)
    }
}
