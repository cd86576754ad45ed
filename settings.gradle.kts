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
        google()
        mavenCentral()
        // The Kotlin half of rustls-platform-verifier, which lets libveto.so's HTTPS trust the
        // CAs the EMM installs. It is published only here (see its README); the version comes
        // from Cargo.lock (android/build.gradle.kts reads it).
        maven("https://github.com/rustls/rustls-platform-verifier/raw/maven-archive/android-release-support/maven/") {
            name = "RustlsPlatformVerifier"
            content { includeGroup("org.rustls") }
        }
    }
}

rootProject.name = "veto"
include(":android")
