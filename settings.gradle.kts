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
    }
}

rootProject.name = "veto"
include(":android")
