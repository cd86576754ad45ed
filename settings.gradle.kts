// Veto's Gradle build: the Cargo workspace lives at the repository root, the Android app in
// android/ (project :android). Versions are in gradle/libs.versions.toml (the `libs` catalog).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    // Every repository is declared here, none in a project.
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        // The Kotlin half of rustls-platform-verifier, which lets libveto.so's HTTPS trust the
        // CAs the EMM installs. It is published only in this repository (see its README); the
        // version comes from Cargo.lock (android/build.gradle.kts reads it). exclusiveContent:
        // this module is fetched from here and nowhere else, and nothing else is fetched from
        // here, so no other repository (google(), mavenCentral()) can serve a look-alike
        // org.rustls artifact. gradle/verification-metadata.xml pins its checksum (docs/admin.md).
        exclusiveContent {
            forRepository {
                maven("https://github.com/rustls/rustls-platform-verifier/raw/maven-archive/android-release-support/maven/") {
                    name = "RustlsPlatformVerifier"
                }
            }
            filter { includeModule("org.rustls", "rustls-platform-verifier") }
        }
        google()
        mavenCentral()
    }
}

rootProject.name = "veto"
include(":android")
