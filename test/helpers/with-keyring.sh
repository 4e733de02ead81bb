#!/bin/sh
# Run a command with a working Secret Service (OS keychain), even as root with no X display:
#
#   test/helpers/with-keyring.sh <command> [args...]
#
# It starts a private D-Bus session (dbus-run-session), starts gnome-keyring-daemon's `secrets`
# component in it with an unlocked "login" keyring, then runs the command inside that session
# (DBUS_SESSION_BUS_ADDRESS points at the private bus). Arguments are passed through unchanged
# ("$@"), stdin/stdout/stderr are inherited, and the command's exit code is returned.
#
# Each invocation gets a FRESH, EMPTY keyring, on purpose: tests never see each other's secrets
# or anything left on disk. The keyring files live in a temp directory that is removed
# afterwards, and only the daemon sees that directory (the command's own HOME/XDG_DATA_HOME are
# left alone). Two consequences for tests:
#   - secrets stored by one wrapped command are gone for the next wrapped command; run steps
#     that must share secrets inside ONE invocation (e.g. wrap a `sh -c '...'` or a node script),
#   - or set WITH_KEYRING_DIR=<dir> to keep the keyring files in <dir> across invocations (the
#     caller then owns and deletes <dir>; keep WITH_KEYRING_PASSWORD the same).
#
# Environment: WITH_KEYRING_DIR (see above), WITH_KEYRING_PASSWORD (default "test").
# Requires: dbus-run-session (dbus), gnome-keyring-daemon (gnome-keyring).
set -eu

# Internal mode: dbus-run-session runs this script as its --dbus-daemon (see below). Running as
# root, dbus-daemon prints "Failed to set fd limit to 65536: Operation not permitted" to stderr on
# every start; that line would end up in the wrapped command's captured stderr and break tests
# that check stderr, so the daemon's stderr is dropped. Its stdout and the --print-address fd
# that dbus-run-session passes stay untouched.
if [ -n "${WITH_KEYRING_DBUS_DAEMON:-}" ]; then
  exec "$WITH_KEYRING_DBUS_DAEMON" "$@" 2>/dev/null
fi

if [ "$#" -eq 0 ]; then
  echo "usage: $0 command [args...]" >&2
  exit 64
fi

for tool in dbus-run-session dbus-daemon gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$0: $tool not found (apt-get install -y gnome-keyring dbus-x11 libsecret-tools)" >&2
    exit 69
  fi
done

self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
dbus_daemon=$(command -v dbus-daemon)

# The inner script runs inside the private session. "$@" after `with-keyring` becomes its
# arguments, so quoting survives untouched.
WITH_KEYRING_DBUS_DAEMON=$dbus_daemon exec dbus-run-session --dbus-daemon="$self" -- sh -c '
  set -eu
  unset WITH_KEYRING_DBUS_DAEMON
  if [ -n "${WITH_KEYRING_DIR:-}" ]; then
    keyring_home=$WITH_KEYRING_DIR
    mkdir -p "$keyring_home"
  else
    keyring_home=$(mktemp -d "${TMPDIR:-/tmp}/with-keyring.XXXXXX")
    # The daemon may still be writing its keyring as the session ends ("Directory not empty"):
    # try again a moment later, and never let the clean-up replace the command'"'"'s exit code.
    trap "rm -rf \"\$keyring_home\" 2>/dev/null || { sleep 0.3; rm -rf \"\$keyring_home\" 2>/dev/null || true; }" EXIT
  fi
  # --unlock reads the password from stdin and creates/unlocks the "login" keyring, which also
  # becomes the default collection; the daemon forks into the background and lives until the
  # session bus goes away. Its stdout (GNOME_KEYRING_CONTROL=...) is not needed by Secret
  # Service clients, which find it on the bus.
  printf %s "${WITH_KEYRING_PASSWORD:-test}" \
    | XDG_DATA_HOME="$keyring_home" gnome-keyring-daemon --unlock --components=secrets >/dev/null
  status=0
  "$@" || status=$?
  exit "$status"
' with-keyring "$@"
