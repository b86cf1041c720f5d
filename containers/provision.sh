#!/usr/bin/env bash
# Makes a Debian 12 / Ubuntu host ready for purple, idempotently. Run as root:
#   sudo bash containers/provision.sh [--test-tools]
# It only adds what is missing: packages, running daemons (dockerd, auditd), the audit
# backlog, conntrack byte accounting and bridge netfilter. It never removes audit rules,
# containers, images or unrelated settings. The last line says whether anything changed.
set -euo pipefail

usage() {
  echo "usage: sudo bash containers/provision.sh [--test-tools]"
  echo "  --test-tools  also install what the test suite needs (chromium, openssh-server/client, xmllint from libxml2-utils; the system sshd is not started)"
}

test_tools=0
for arg in "$@"; do
  case "$arg" in
    --test-tools) test_tools=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "provision: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "provision: must run as root (try: sudo bash $0 $*)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
exec </dev/null

AUDIT_BACKLOG_MIN=8192
changes=0
problems=0

step() { printf 'provision: %-34s %s\n' "$1" "$2"; }
changed() { changes=$((changes + 1)); step "$1" "$2"; }
problem() { problems=$((problems + 1)); step "$1" "FAILED: $2" >&2; }

# --- packages ---------------------------------------------------------------
is_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

# procps: sysctl; openssh-client: ssh-keygen for the image key pair; tar: rootfs tarball;
# debian-archive-keyring + gpgv: debootstrap verifies the Debian release (also needed on Ubuntu).
packages=(docker.io auditd conntrack debootstrap debian-archive-keyring gpgv procps openssh-client tar)
if [ "$test_tools" -eq 1 ]; then
  # libxml2-utils: xmllint validates junit.xml against the JUnit schemas in a test.
  packages+=(chromium openssh-server libxml2-utils)
fi

missing=()
for p in "${packages[@]}"; do
  if is_installed "$p"; then step "package $p" "already installed"; else missing+=("$p"); fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  # Keep maintainer scripts from starting services (notably the system sshd): we start
  # the daemons we need ourselves below. Only when the host has no policy of its own.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
    trap 'if [ "$own_policy" -eq 1 ]; then rm -f "$policy"; fi' EXIT
  fi
  step "apt-get update" "running"
  # An unreachable third-party source must not stop us: the install below says what is really missing.
  apt-get update -qq || step "apt-get update" "had errors (see above); installing anyway"
  step "apt-get install" "${missing[*]}"
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
  for p in "${missing[@]}"; do
    if is_installed "$p"; then changed "package $p" "installed"; else problem "package $p" "still not installed"; fi
  done
  if [ "$own_policy" -eq 1 ]; then rm -f "$policy"; own_policy=0; fi
fi

# --- dockerd ----------------------------------------------------------------
wait_for() { # wait_for SECONDS COMMAND...: retry COMMAND until it succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.5
  done
}

if docker info >/dev/null 2>&1; then
  step "dockerd" "already running ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
else
  # Detached from this script's stdio so callers capturing our output don't wait on the daemon.
  setsid dockerd </dev/null >>/var/log/dockerd.log 2>&1 &
  if wait_for 60 docker info; then
    changed "dockerd" "started (log /var/log/dockerd.log)"
  else
    problem "dockerd" "did not answer within 60s; see /var/log/dockerd.log"
  fi
fi

# --- auditd -----------------------------------------------------------------
# Empty output (never a failure) when the status cannot be read, so callers decide what that means.
audit_field() { { auditctl -s 2>/dev/null || true; } | awk -v k="$1" '$1 == k { print $2 }'; }
auditd_alive() {
  local pid; pid="$(audit_field pid)"
  [ -n "$pid" ] && [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null
}

if auditd_alive; then
  step "auditd" "already running (pid $(audit_field pid))"
else
  mkdir -p /var/log/audit
  # auditd forks itself; its diagnostics go to /var/log/auditd.log, events to /var/log/audit/audit.log.
  setsid auditd </dev/null >>/var/log/auditd.log 2>&1 || true
  if wait_for 30 auditd_alive; then
    changed "auditd" "started (pid $(audit_field pid))"
  else
    problem "auditd" "did not register with the kernel within 30s; see /var/log/auditd.log"
  fi
fi

case "$(audit_field enabled)" in
  1) step "kernel audit" "already enabled" ;;
  0) auditctl -e 1 >/dev/null && changed "kernel audit" "enabled (auditctl -e 1)" ;;
  2) problem "kernel audit" "audit configuration is immutable (enabled 2): purple cannot add its rules; remove '-e 2' from /etc/audit/rules.d/*.rules and reboot" ;;
  *) problem "kernel audit" "auditctl -s gave no 'enabled' line; is the kernel built with CONFIG_AUDIT?" ;;
esac

backlog="$(audit_field backlog_limit)"
if [ -z "$backlog" ]; then
  problem "audit backlog_limit" "unknown"
elif [ "$backlog" -ge "$AUDIT_BACKLOG_MIN" ]; then
  step "audit backlog_limit" "already $backlog"
elif auditctl -b "$AUDIT_BACKLOG_MIN" >/dev/null 2>&1; then
  changed "audit backlog_limit" "raised $backlog -> $AUDIT_BACKLOG_MIN"
else
  problem "audit backlog_limit" "could not raise $backlog -> $AUDIT_BACKLOG_MIN"
fi

# --- sysctls ----------------------------------------------------------------
# ensure_sysctl KEY VALUE MODULE: load MODULE only if KEY is absent, set KEY only if it differs.
ensure_sysctl() {
  local key="$1" want="$2" module="$3" have
  if ! have="$(sysctl -n "$key" 2>/dev/null)"; then
    if command -v modprobe >/dev/null 2>&1 && modprobe "$module" 2>/dev/null; then
      changed "module $module" "loaded"
    fi
    if ! have="$(sysctl -n "$key" 2>/dev/null)"; then
      problem "$key" "absent (module $module not available; install kmod or a kernel with $module)"
      return
    fi
  fi
  if [ "$have" = "$want" ]; then
    step "$key" "already $want"
  elif sysctl -qw "$key=$want"; then
    changed "$key" "set $have -> $want"
  else
    problem "$key" "could not set to $want"
  fi
}
ensure_sysctl net.netfilter.nf_conntrack_acct 1 nf_conntrack
ensure_sysctl net.bridge.bridge-nf-call-iptables 1 br_netfilter

if [ "$test_tools" -eq 1 ]; then
  if [ -x /usr/bin/chromium ]; then step "chromium" "/usr/bin/chromium present"; else problem "chromium" "/usr/bin/chromium missing"; fi
  if [ -x /usr/sbin/sshd ]; then step "sshd binary" "/usr/sbin/sshd present (system sshd not started)"; else problem "sshd binary" "/usr/sbin/sshd missing"; fi
  if [ -x /usr/bin/xmllint ]; then step "xmllint" "/usr/bin/xmllint present"; else problem "xmllint" "/usr/bin/xmllint missing"; fi
fi

if [ "$problems" -gt 0 ]; then
  echo "provision: $problems problem(s), $changes change(s); the host is NOT ready" >&2
  exit 1
fi
if [ "$changes" -eq 0 ]; then
  echo "provision: nothing changed (host already provisioned)"
else
  echo "provision: done, $changes change(s)"
fi
