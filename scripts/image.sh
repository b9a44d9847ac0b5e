#!/usr/bin/env bash
# The image every role runs (the repo's Dockerfile), built and pushed tagged by commit: the pipeline's Image stage.
# Usage: scripts/image.sh build-push | ref | logout
#   build-push  log in to the registry of IMAGE_REPOSITORY (when REGISTRY_USER and REGISTRY_PASSWORD are set; the
#               password goes through stdin, never the command line), build, push $(ref)
#   ref         print the image reference, IMAGE_REPOSITORY:TAG
#   logout      forget the registry login (succeeds when there was none)
# Settings:
#   IMAGE_REPOSITORY          where the image goes, without a tag (e.g. registry.example.com/couponkill/couponkill);
#                             its first component is the registry when it holds a dot or a port, else Docker Hub
#   IMAGE_TAG                 default: the commit, `git rev-parse --short=12 HEAD` (a clean checkout is required, so
#                             the tag names what was built)
#   COUPONKILL_IMAGE_BUILDER  default docker; any CLI with docker's build, push, login and logout (podman, nerdctl)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "image: $*" >&2; }
die() {
  say "$*"
  exit 1
}

usage() { die "usage: scripts/image.sh build-push | ref | logout"; }

BUILDER="${COUPONKILL_IMAGE_BUILDER:-docker}"
REPOSITORY="${IMAGE_REPOSITORY:-}"
[ -n "$REPOSITORY" ] || die "IMAGE_REPOSITORY is not set (e.g. registry.example.com/couponkill/couponkill)"
# Docker's reference grammar, roughly: lowercase path components, an optional registry port, no tag or digest.
[[ $REPOSITORY =~ ^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$ ]] ||
  die "IMAGE_REPOSITORY=$REPOSITORY is not an image repository (lowercase, no tag or digest; e.g. registry.example.com/couponkill/couponkill)"
FIRST="${REPOSITORY%%/*}"
if [[ $REPOSITORY == */* && ($FIRST == *.* || $FIRST == *:* || $FIRST == localhost) ]]; then
  REGISTRY_HOST=$FIRST
else
  REGISTRY_HOST=docker.io
fi

tag() {
  if [ -n "${IMAGE_TAG:-}" ]; then
    [[ $IMAGE_TAG =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "IMAGE_TAG=$IMAGE_TAG is not an image tag"
    echo "$IMAGE_TAG"
    return 0
  fi
  git diff --quiet HEAD -- || die "tracked files differ from the commit: commit them, or set IMAGE_TAG to name this build"
  git rev-parse --short=12 HEAD
}

builder() {
  command -v "$BUILDER" >/dev/null 2>&1 || die "$BUILDER not found (COUPONKILL_IMAGE_BUILDER names the image builder)"
  "$BUILDER" "$@"
}

login() {
  if [ -z "${REGISTRY_USER:-}" ] && [ -z "${REGISTRY_PASSWORD:-}" ]; then
    say "no REGISTRY_USER/REGISTRY_PASSWORD: pushing with the builder's existing login for $REGISTRY_HOST"
    return 0
  fi
  if [ -z "${REGISTRY_USER:-}" ] || [ -z "${REGISTRY_PASSWORD:-}" ]; then
    die "REGISTRY_USER and REGISTRY_PASSWORD go together (a username/password credentials binding sets both)"
  fi
  printf '%s' "$REGISTRY_PASSWORD" | builder login --username "$REGISTRY_USER" --password-stdin "$REGISTRY_HOST" >/dev/null
  say "logged in to $REGISTRY_HOST as $REGISTRY_USER"
}

case "${1:-}" in
  build-push)
    [ "$#" -eq 1 ] || usage
    # An assignment of its own: a failure inside "$(…)" within a longer word would not stop the script.
    tag="$(tag)"
    ref="$REPOSITORY:$tag"
    login
    say "building $ref with $BUILDER"
    builder build --pull --label "org.opencontainers.image.revision=$(git rev-parse HEAD)" -t "$ref" .
    builder push "$ref"
    say "pushed $ref"
    ;;
  ref)
    [ "$#" -eq 1 ] || usage
    tag="$(tag)"
    echo "$REPOSITORY:$tag"
    ;;
  logout)
    [ "$#" -eq 1 ] || usage
    # Best effort: podman, unlike docker, fails when there was no login, and a logout must not fail a build.
    builder logout "$REGISTRY_HOST" >/dev/null 2>&1 || say "no login to $REGISTRY_HOST to forget"
    ;;
  *) usage ;;
esac
