package dev.lifeboat.restore.saga;

import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

import org.hibernate.annotations.DynamicUpdate;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/**
 * One member of a REPLACE restore: the command sent to its etcd-agent and the agent's answers. Updates write only
 * the columns they change: an agent's late answer to the restore and the saga commanding the rollback touch the same
 * row at the same time, and neither may undo the other.
 */
@Entity
@DynamicUpdate
@Table(name = "restore_member")
@IdClass(MemberRecord.Key.class)
public class MemberRecord extends PanacheEntityBase {

    @Id
    @Column(name = "restore_id")
    public String restoreId;

    @Id
    @Column(name = "member_name")
    public String memberName;

    /** COMMANDED, then RESTORED or FAILED. */
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public MemberState state;

    public Long revision;

    @Column(name = "revision_bumped")
    public Boolean revisionBumped;

    public String note;

    public String reason;

    /**
     * For a FAILED member: false when its agent put the pre-restore data dir back and etcd serves it (nothing of
     * the member changed), true when its data dir was replaced or its state is uncertain; null before an answer.
     */
    @Column(name = "data_changed")
    public Boolean dataChanged;

    /** Null, or COMMANDED, then ROLLED_BACK or FAILED; NOT_NEEDED when the member's data was never touched. */
    @Enumerated(EnumType.STRING)
    @Column(name = "rollback_state")
    public MemberState rollbackState;

    @Column(name = "rollback_reason")
    public String rollbackReason;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    public static class Key implements Serializable {
        public String restoreId;
        public String memberName;

        public Key() {
        }

        public Key(String restoreId, String memberName) {
            this.restoreId = restoreId;
            this.memberName = memberName;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key that && Objects.equals(restoreId, that.restoreId) && Objects.equals(memberName, that.memberName);
        }

        @Override
        public int hashCode() {
            return Objects.hash(restoreId, memberName);
        }
    }

    /** Whether the member's agent answered that its restore failed before the data dir was touched: it has its pre-restore data. */
    public boolean unchanged() {
        return state == MemberState.FAILED && Boolean.FALSE.equals(dataChanged);
    }

    /**
     * The member's data was never touched ({@link #unchanged()}), so it needs no rollback. {@code agentAnswer}: what
     * its etcd-agent answered to a rollback that was sent before its restore's answer came, or null.
     */
    public void rollbackNotNeeded(String agentAnswer) {
        rollbackState = MemberState.NOT_NEEDED;
        rollbackReason = "its restore failed before its data dir was touched, so it serves its pre-restore data"
                + (agentAnswer == null ? "" : " (its etcd-agent answered the rollback: " + agentAnswer + ")");
        updatedAt = Instant.now();
    }

    /**
     * Makes the current session write its changes one statement at a time. With {@link DynamicUpdate} two rows changed
     * in one flush may update different columns (one row's reason was already null, another's is set), and Hibernate
     * Reactive 3.2 batches such statements under the first one's SQL ("the number of parameters … should be
     * consistent"). Call it before changing several members' rows in one transaction.
     */
    public static Uni<Void> unbatched() {
        return Panache.getSession().invoke(session -> session.setBatchSize(1)).replaceWithVoid();
    }

    /** The members of a REPLACE restore, by name. */
    public static Uni<List<MemberRecord>> ofRestore(String restoreId) {
        return find("restoreId = ?1 order by memberName", restoreId).list();
    }
}
