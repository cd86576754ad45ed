#!/usr/bin/env bash
# Builds the code-free test target APKs of the device acceptance run into target/apk/targets/,
# with the CI APK's tools (aapt2, apksigner), targetSdk and minSdk from the catalog:
#
#   tiktok.apk           com.zhiliaoapp.musically ("TikTok")        key: targets
#   tiktok-asia.apk      com.ss.android.ugc.trill ("TikTok")        key: targets
#   capcut.apk           com.lemon.lvoverseas ("CapCut")            key: targets
#   renamed-clone.apk    com.example.vetotest.clone ("Clone")       key: test-publisher
#                        (a barred app renamed: only its signer gives it away)
#   harmless.apk         com.example.vetotest.harmless ("Harmless")  key: targets
#                        (must never be touched)
#
# Each is one manifest with hasCode="false" and a label, nothing else. targets.tsv lists them
# for check-apk.sh and device-acceptance.sh.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
veto_install_apk_tools
veto_resolve_java_tools
min_sdk="$(veto_catalog minSdk)"
target_sdk="$(veto_catalog targetSdk)"
out="$VETO_APK_DIR/targets"
work="$VETO_APK_WORK/targets"
rm -rf "$out" "$work"
mkdir -p "$out" "$work"

# file  package  label  key  role
targets_tsv="$(cat "$VETO_APK_SCRIPTS/targets.tsv")"
while IFS=$'\t' read -r file pkg label key role; do
    [[ -z "$file" || "$file" == \#* ]] && continue
    cat >"$work/$file.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="$pkg"
    android:versionCode="1" android:versionName="1.0-veto-test">
    <uses-sdk android:minSdkVersion="$min_sdk" android:targetSdkVersion="$target_sdk" />
    <application android:label="$label" android:hasCode="false" />
</manifest>
XML
    aapt2 link -o "$work/$file.unsigned.apk" -I "$VETO_FRAMEWORK_RES_JAR" --manifest "$work/$file.xml"
    store="$("$VETO_APK_SCRIPTS/keys.sh" "$key")"
    apksigner sign --ks "$store" --ks-pass pass:veto-throwaway --ks-key-alias "$key" \
        --key-pass pass:veto-throwaway --v1-signing-enabled false --v2-signing-enabled true \
        --v3-signing-enabled true --v4-signing-enabled false --out "$out/$file" "$work/$file.unsigned.apk"
    echo "   $out/$file: $pkg ($role), $(stat -c %s "$out/$file") bytes"
done <<<"$targets_tsv"
cp "$VETO_APK_SCRIPTS/targets.tsv" "$out/targets.tsv"
