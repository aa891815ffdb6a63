package dev.lifeboat.events;

/**
 * Retention settings of a backup policy, read by retention-service. Any may be absent.
 *
 * @param keepLast         the N newest Completed full snapshots are kept
 * @param maxTotalSizeBytes stored bytes per cluster, oldest deleted first
 * @param maxAge           ISO-8601 duration or Go-like ({@code 720h}); older goes
 * @param exponential      Gardener's scheme: all of the current hour, hourly for 24 h, daily for 7 days, weekly for 4 weeks
 */
public record RetentionSpec(Integer keepLast, Long maxTotalSizeBytes, String maxAge, Boolean exponential) {
}
