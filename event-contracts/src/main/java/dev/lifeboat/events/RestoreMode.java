package dev.lifeboat.events;

/** REPLACE rebuilds every member's data dir (disaster recovery); API writes keys through the KV API. */
public enum RestoreMode {
    REPLACE, API
}
