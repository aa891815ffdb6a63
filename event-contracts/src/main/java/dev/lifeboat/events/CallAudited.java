package dev.lifeboat.events;

import java.time.Instant;

/**
 * The audit trail: a caller changed something of a cluster through a REST API, or downloaded a snapshot's
 * content. Written in the transaction of the change where there is one.
 *
 * @param caller  who, as its verified token names it (never a body field)
 * @param action  what, e.g. {@code POST /api/v1/clusters/prod/backups} or {@code download}
 * @param target  what it touched, when the action does not say (e.g. {@code snapshot 8f3a51c2d7e04b19}); may be null
 * @param status  the HTTP status answered
 */
public record CallAudited(String clusterId, String caller, String action, String target, int status, Instant at) implements LifeboatEvent {

    public CallAudited {
        Ids.require(clusterId, "clusterId");
        Require.text(caller, "caller");
        Require.text(action, "action");
        Require.present(at, "at");
    }
}
