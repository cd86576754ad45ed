// The Veto APK: the Kotlin shell in src/main/kotlin and src/androidx/kotlin, plus libveto.so
// built from the Cargo workspace at the repository root by cargo-ndk.
//
// Needs on the build machine: the Android SDK (platform 35), the NDK (version below; sdkmanager
// installs it), Rust with the three Android targets, and cargo-ndk. See docs/admin.md.
// Every version comes from gradle/libs.versions.toml; the JVM tests run with Maven (pom.xml).

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
        versionCode = 1
        versionName = "0.1.0"
    }

    sourceSets {
        getByName("main") {
            // src/androidx holds the one file that needs AndroidX (enterprise feedback); the Maven
            // harness compiles src/main only.
            kotlin.srcDirs("src/main/kotlin", "src/androidx/kotlin")
            jniLibs.srcDir(layout.buildDirectory.dir("rustJniLibs"))
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

// libveto.so for the three ABIs the APK ships, built by cargo-ndk into build/rustJniLibs/<abi>/,
// which is a jniLibs directory of the main source set (above).
//   --platform    minSdk: the NDK API level the library links against
//   --config ...  16 KiB page alignment of every LOAD segment (Android 15 devices with 16 KiB
//                 pages; Play requires it). NDK r28+ and cargo-ndk 4 already do this; passing it
//                 keeps the guarantee with older ones. scripts/android/check-libveto.sh checks
//                 the same flags on a stub build.
val cargoWorkspace = rootProject.layout.projectDirectory
val rustJniLibs = layout.buildDirectory.dir("rustJniLibs")
val pinnedNdkDirectory = androidComponents.sdkComponents.ndkDirectory
val pageSizeFlags = "[\"-C\", \"link-arg=-Wl,-z,max-page-size=16384\", \"-C\", \"link-arg=-Wl,-z,common-page-size=16384\"]"
val cargoNdkBuild = tasks.register<Exec>("cargoNdkBuild") {
    group = "build"
    description = "Builds libveto.so (rust/veto-jni) for arm64-v8a, armeabi-v7a and x86_64 with cargo-ndk."
    workingDir = cargoWorkspace.asFile
    inputs.files(
        cargoWorkspace.file("Cargo.toml"),
        cargoWorkspace.file("Cargo.lock"),
        cargoWorkspace.dir("rust").asFileTree.matching { exclude("**/target/**") },
    )
    outputs.dir(rustJniLibs)
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "--platform", appMinSdk.toString(),
        "-o", rustJniLibs.get().asFile.path,
        "build", "--release", "--locked", "-p", "veto-jni",
        "--config", "target.aarch64-linux-android.rustflags=$pageSizeFlags",
        "--config", "target.x86_64-linux-android.rustflags=$pageSizeFlags",
    )
    // cargo-ndk finds the NDK through ANDROID_NDK_HOME; default it to the NDK this build pins
    // (ndkVersion), unless the caller chose one. A task-local copy of the provider keeps the
    // action free of references to the build script.
    val ndk = pinnedNdkDirectory
    doFirst {
        if (System.getenv("ANDROID_NDK_HOME").isNullOrEmpty()) {
            environment("ANDROID_NDK_HOME", ndk.get().asFile.path)
        }
    }
}

// Packaging native libraries (merge<Variant>JniLibFolders) needs them built first.
tasks.configureEach {
    if (name.startsWith("merge") && name.endsWith("JniLibFolders")) {
        dependsOn(cargoNdkBuild)
    }
}
