#!/usr/bin/env bash
# Installs what the build and the local stack need and a fresh Debian machine lacks: Debian's etcd
# server and client (etcd, etcdctl). Java 17+ and make are the prerequisites; Maven comes through the
# wrapper, Kafka, S3Proxy and PostgreSQL through Maven Central.
set -euo pipefail

if ! command -v java >/dev/null 2>&1; then
  echo "lifeboat: java was not found: install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)" >&2
  exit 1
fi
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${java_major%%.*}" -lt 17 ] 2>/dev/null; then
  echo "lifeboat: Java $java_major found; Lifeboat needs 17 or newer" >&2
  exit 1
fi

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "lifeboat: ${missing[*]} missing and no apt-get here: install etcd 3.4+ (etcd and etcdctl on PATH)" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  echo "lifeboat: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's package may start a system etcd on 2379/2380; the local stack runs its own.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    $sudo systemctl disable --now etcd >/dev/null 2>&1 || true
  fi
fi

# etcd 3.5 (what Kubernetes runs) beside Debian 12's 3.4: the static binaries of Debian trixie's packages (sid's
# when trixie has none), fetched with a private apt state and unpacked into .tools/etcd-3.5 of the checkout —
# nothing installed system-wide, done once.
etcd35="$(cd "$(dirname "$0")/.." && pwd)/.tools/etcd-3.5"
if [ ! -x "$etcd35/etcdutl" ] || [ ! -x "$etcd35/etcd" ] || [ ! -x "$etcd35/etcdctl" ]; then
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    echo "lifeboat: etcd 3.5 missing and no apt-get/dpkg-deb here: put etcd, etcdctl and etcdutl 3.5 into $etcd35" >&2
    exit 1
  fi
  echo "lifeboat: fetching etcd 3.5 (Debian's etcd-server and etcd-client packages) into $etcd35"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  fetched=""
  for suite in trixie sid; do
    mkdir -p "$work/$suite/state/lists/partial" "$work/$suite/cache/archives/partial"
    echo "deb http://deb.debian.org/debian $suite main" > "$work/$suite/sources.list"
    apt_opts=(-o "Dir::Etc::sourcelist=$work/$suite/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State=$work/$suite/state"
      -o "Dir::Cache=$work/$suite/cache" -o APT::Sandbox::User=root -qq)
    if apt-get "${apt_opts[@]}" update >/dev/null 2>&1 \
        && (cd "$work/$suite" && apt-get "${apt_opts[@]}" download etcd-server etcd-client >/dev/null 2>&1); then
      fetched="$work/$suite"
      break
    fi
  done
  if [ -z "$fetched" ]; then
    echo "lifeboat: could not download etcd 3.5 from Debian (trixie or sid): is deb.debian.org reachable?" >&2
    exit 1
  fi
  for deb in "$fetched"/etcd-server_*.deb "$fetched"/etcd-client_*.deb; do
    dpkg-deb -x "$deb" "$work/root"
  done
  mkdir -p "$etcd35"
  for binary in etcd etcdctl etcdutl; do
    install -m 0755 "$work/root/usr/bin/$binary" "$etcd35/$binary"
  done
  "$etcd35/etcdutl" version | head -1
fi
