#!/usr/bin/env bash
# Checks Jenkinsfiles without a Jenkins (none is installable here): first scripts/jenkinsfile-check.groovy, our structural
# checker on the Groovy AST (sections, stages, steps, every `sh` naming something that exists in the repo, credentials
# only through bindings), all files in one JVM; then npm-groovy-lint (CodeNarc, `.groovylintrc.json`: the
# recommended-jenkinsfile rules), failing on errors. Both see every file; the script fails when either found something.
# Usage: scripts/check-jenkinsfile.sh [--checker-only] [FILE...]   (default: the repo's Jenkinsfile)
#   --checker-only  skip npm-groovy-lint (CodeNarc takes ~10 s a run; the checker's test fixtures need only the checker)
#
# Groovy 4.0.33 (the groovy and groovy-json jars) comes from Maven Central through the m2 cache RocketMQ already uses,
# into ~/.cache/couponkill/tools/groovy, beside the compiled checker. Java 17 and Maven come from the OS packages when missing; npm-groovy-lint is given
# that java by path, so it never downloads a JRE of its own.
set -euo pipefail

say() { echo "check-jenkinsfile: $*" >&2; }
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lib/host.sh
. "$ROOT/scripts/lib/host.sh"
# shellcheck source=lib/node.sh
. "$ROOT/scripts/lib/node.sh"

GROOVY_VERSION="${COUPONKILL_GROOVY_VERSION:-4.0.33}"
CACHE="${COUPONKILL_HOME:-$HOME/.cache/couponkill}"
GROOVY_DIR="$CACHE/tools/groovy"
# The compiler and AST (groovy) and JsonSlurper for package.json (groovy-json).
GROOVY_JARS=("$GROOVY_DIR/groovy-$GROOVY_VERSION.jar" "$GROOVY_DIR/groovy-json-$GROOVY_VERSION.jar")
CHECKER="$ROOT/scripts/jenkinsfile-check.groovy"
# Short-lived JVMs: the C1 compiler alone and the serial collector start faster and use less memory.
JAVA_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC)

fetch_groovy() {
  local jar module log="$GROOVY_DIR/maven.log"
  for jar in "${GROOVY_JARS[@]}"; do
    [ -f "$jar" ] && continue
    install_missing mvn:maven
    module="$(basename "$jar" "-$GROOVY_VERSION.jar")"
    say "fetching org.apache.groovy:$module:$GROOVY_VERSION from Maven Central into $GROOVY_DIR"
    mkdir -p "$GROOVY_DIR"
    mvn -q -B dependency:copy -Dartifact="org.apache.groovy:$module:$GROOVY_VERSION" -DoutputDirectory="$GROOVY_DIR" \
      -Dmaven.repo.local="$CACHE/m2" >"$log" 2>&1 || die "Maven could not fetch $module (see $log)"
    [ -f "$jar" ] || die "Maven ran but $jar is missing (see $log)"
  done
}

# The checker compiled once per version of its source (compiling it on every run costs a few seconds of CPU).
compile_checker() {
  local digest
  digest="$(sha256sum "$CHECKER" | cut -c1-16)"
  CHECKER_CLASSES="$GROOVY_DIR/jenkinsfile-check-$GROOVY_VERSION-$digest"
  [ -f "$CHECKER_CLASSES/jenkinsfile-check.class" ] && return 0
  local tmp
  tmp="$(mktemp -d "$CHECKER_CLASSES.XXXXXX")"
  java "${JAVA_OPTS[@]}" -cp "$(classpath)" org.codehaus.groovy.tools.FileSystemCompiler -d "$tmp" "$CHECKER" >&2 ||
    die "the checker does not compile: $CHECKER"
  # A concurrent run may have won the race: its classes are the same.
  mv -T "$tmp" "$CHECKER_CLASSES" 2>/dev/null || rm -rf "$tmp"
}

classpath() {
  local IFS=:
  echo "${GROOVY_JARS[*]}"
}

LINT=1
if [ "${1:-}" = --checker-only ]; then
  LINT=0
  shift
fi
[ "$#" -gt 0 ] || set -- "$(realpath --relative-to=. "$ROOT/Jenkinsfile")"
for file in "$@"; do [ -f "$file" ] || die "no such file: $file"; done

install_missing java:openjdk-17-jre-headless
fetch_groovy

rc=0
compile_checker
java "${JAVA_OPTS[@]}" -cp "$(classpath):$CHECKER_CLASSES" jenkinsfile-check --root "$ROOT" "$@" || rc=$?
[ "$LINT" = 1 ] || exit "$rc"

ensure_node24 # npm-groovy-lint 18 needs Node >= 22
# --noserver: no CodeNarc server left running after the check; --javaexecutable: an absolute path, so java-caller uses
# it as it is instead of looking for (and downloading) a JRE; --javaoptions: the same JVM flags, which halve CodeNarc's
# time and CPU here (measured: 10 s instead of 19 s on this repo's Jenkinsfile); --loglevel warning: infos stay quiet.
"$ROOT/node_modules/.bin/npm-groovy-lint" --noserver --failon error --loglevel warning --config "$ROOT/.groovylintrc.json" \
  --javaexecutable "$(command -v java)" --javaoptions="$(IFS=,; echo "${JAVA_OPTS[*]}")" --output txt "$@" || rc=$?
exit "$rc"
