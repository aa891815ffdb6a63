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
